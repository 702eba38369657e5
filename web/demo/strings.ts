/** The demo page's words, in English and Indonesian. Every API error code has a message in both. */

export type Lang = 'en' | 'id';

export type ErrorCodeKey =
  | 'validation_failed'
  | 'invalid_phone'
  | 'unauthorized'
  | 'invalid_signature'
  | 'country_not_allowed'
  | 'forbidden'
  | 'not_found'
  | 'verification_not_pending'
  | 'idempotency_conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'resend_too_soon'
  | 'max_sends_reached'
  | 'delivery_failed'
  | 'internal_error'
  | 'request_timeout'
  | 'headers_too_large'
  | 'service_unavailable'
  | 'pages_not_built'
  | 'templates_not_configured'
  | 'provider_error'
  | 'network_error'
  | 'demo_unavailable';

type FinalStatus = 'approved' | 'canceled' | 'expired' | 'max_attempts_reached' | 'failed';

export interface Strings {
  title: string;
  intro: string;
  language: string;
  sandboxNote: string;
  inboundHeading: string;
  inboundHelp: string;
  verifyWithWhatsApp: string;
  orCode: string;
  phoneLabel: string;
  phoneHint: string;
  sendCode: string;
  scanQr: string;
  qrAlt: string;
  openWhatsApp: string;
  openWhatsAppDesktop: string;
  waitingForMessage: string;
  codeSentTo: (phone: string) => string;
  codeLabel: string;
  verify: string;
  resend: string;
  resendIn: (seconds: number) => string;
  noSendsLeft: string;
  codeResent: string;
  attemptsLeft: (n: number) => string;
  expiresIn: (time: string) => string;
  wrongCode: (n: number) => string;
  verifiedAs: (phone: string) => string;
  startOver: string;
  useAnotherWay: string;
  working: string;
  final: Record<FinalStatus, string>;
  errors: Record<ErrorCodeKey, string>;
  retryIn: (seconds: number) => string;
  simulator: {
    heading: string;
    help: string;
    business: string;
    fromLabel: string;
    messageLabel: string;
    send: string;
    copyCode: string;
    copied: string;
    empty: string;
    otpTitle: string;
    you: string;
    waitingForCode: string;
  };
}

const en: Strings = {
  title: 'Verify with WhatsApp',
  intro:
    'This is the sign-up step a product would use: confirm a phone number with WhatsApp, either by sending us a message or by typing a code we send.',
  language: 'Language',
  sandboxNote:
    'Sandbox mode: no real WhatsApp message is sent. The phone simulator shows what would arrive, and lets you send the message yourself.',
  inboundHeading: 'Fastest: send us a message',
  inboundHelp: 'WhatsApp opens with a message ready to send. Send it and this page updates itself.',
  verifyWithWhatsApp: 'Verify with WhatsApp',
  orCode: 'Or get a code on WhatsApp',
  phoneLabel: 'Your WhatsApp number',
  phoneHint: 'With the country code, e.g. +62 812 3456 7890',
  sendCode: 'Send code',
  scanQr: 'Scan this code with your phone’s camera to open WhatsApp, then press Send.',
  qrAlt: 'QR code that opens WhatsApp with the verification message',
  openWhatsApp: 'Open WhatsApp',
  openWhatsAppDesktop: 'Or open WhatsApp on this computer',
  waitingForMessage: 'Waiting for your message…',
  codeSentTo: (phone) => `We sent a code to ${phone} on WhatsApp.`,
  codeLabel: 'Verification code',
  verify: 'Verify',
  resend: 'Send a new code',
  resendIn: (s) => `New code available in ${s} s`,
  noSendsLeft: 'No more codes can be sent for this verification.',
  codeResent: 'A new code is on its way. The old one no longer works.',
  attemptsLeft: (n) => (n === 1 ? '1 attempt left' : `${n} attempts left`),
  expiresIn: (time) => `Expires in ${time}`,
  wrongCode: (n) => `That code is not right. ${n === 1 ? '1 attempt left' : `${n} attempts left`}.`,
  verifiedAs: (phone) => `Verified: ${phone}`,
  startOver: 'Start again',
  useAnotherWay: 'Use another way',
  working: 'Please wait…',
  final: {
    approved: 'This number is verified.',
    canceled: 'This verification was canceled. Start again to get a new one.',
    expired: 'This verification has expired. Start again to get a new one.',
    max_attempts_reached: 'Too many wrong codes. Start again to get a new code.',
    failed: 'We could not deliver the code. Check the number and start again.',
  },
  errors: {
    validation_failed: 'Something in the form is not right. Check it and try again.',
    invalid_phone: 'That is not a valid phone number. Include the country code, e.g. +62 812…',
    unauthorized: 'The demo is not allowed to do that.',
    invalid_signature: 'The demo is not allowed to do that.',
    country_not_allowed: 'Numbers from this country cannot be verified here.',
    forbidden: 'This number cannot be verified right now. Try another number or later.',
    not_found: 'This verification no longer exists. Start again.',
    verification_not_pending: 'This verification is already finished. Start again.',
    idempotency_conflict: 'This request was already made with different details. Start again.',
    payload_too_large: 'That is too long.',
    rate_limited: 'Too many tries. Please wait a moment.',
    resend_too_soon: 'Please wait before asking for a new code.',
    max_sends_reached: 'No more codes can be sent for this verification. Start again later.',
    delivery_failed: 'We could not deliver the code. Check the number and try again.',
    internal_error: 'Something went wrong on our side. Please try again.',
    request_timeout: 'That took too long. Please try again.',
    headers_too_large: 'The request was too large. Reload the page and try again.',
    service_unavailable: 'The service is busy or down for a moment. Please try again shortly.',
    pages_not_built: 'The page is not installed properly (run npm run build).',
    templates_not_configured: 'WhatsApp templates are not set up on this server yet.',
    provider_error: 'WhatsApp did not answer as expected. Please try again shortly.',
    network_error: 'No connection to the server. Check your network and try again.',
    demo_unavailable:
      'The demo is not available on this server: it needs the development app (not in production).',
  },
  retryIn: (s) => `Try again in ${s} s.`,
  simulator: {
    heading: 'Phone simulator',
    help: 'What the sandbox sent to this number. In the inbound flow, send the prefilled message from here.',
    business: 'wa-verify (business)',
    fromLabel: 'This phone’s number',
    messageLabel: 'Message',
    send: 'Send',
    copyCode: 'Copy code',
    copied: 'Code copied',
    empty: 'No messages yet.',
    otpTitle: 'Verification code',
    you: 'You',
    waitingForCode: 'Start a verification to see messages here.',
  },
};

const id: Strings = {
  title: 'Verifikasi dengan WhatsApp',
  intro:
    'Ini langkah pendaftaran yang dipakai sebuah produk: konfirmasi nomor telepon lewat WhatsApp, dengan mengirim pesan kepada kami atau mengetik kode yang kami kirim.',
  language: 'Bahasa',
  sandboxNote:
    'Mode sandbox: tidak ada pesan WhatsApp sungguhan yang dikirim. Simulator ponsel menampilkan pesan yang akan masuk, dan Anda dapat mengirim pesan sendiri.',
  inboundHeading: 'Tercepat: kirim pesan kepada kami',
  inboundHelp:
    'WhatsApp terbuka dengan pesan yang siap dikirim. Kirim pesan itu dan halaman ini akan diperbarui sendiri.',
  verifyWithWhatsApp: 'Verifikasi dengan WhatsApp',
  orCode: 'Atau dapatkan kode lewat WhatsApp',
  phoneLabel: 'Nomor WhatsApp Anda',
  phoneHint: 'Dengan kode negara, mis. +62 812 3456 7890',
  sendCode: 'Kirim kode',
  scanQr: 'Pindai kode ini dengan kamera ponsel untuk membuka WhatsApp, lalu tekan Kirim.',
  qrAlt: 'Kode QR yang membuka WhatsApp dengan pesan verifikasi',
  openWhatsApp: 'Buka WhatsApp',
  openWhatsAppDesktop: 'Atau buka WhatsApp di komputer ini',
  waitingForMessage: 'Menunggu pesan Anda…',
  codeSentTo: (phone) => `Kami mengirim kode ke ${phone} lewat WhatsApp.`,
  codeLabel: 'Kode verifikasi',
  verify: 'Verifikasi',
  resend: 'Kirim kode baru',
  resendIn: (s) => `Kode baru tersedia dalam ${s} dtk`,
  noSendsLeft: 'Tidak ada lagi kode yang dapat dikirim untuk verifikasi ini.',
  codeResent: 'Kode baru sedang dikirim. Kode lama tidak berlaku lagi.',
  attemptsLeft: (n) => `Sisa ${n} percobaan`,
  expiresIn: (time) => `Berakhir dalam ${time}`,
  wrongCode: (n) => `Kode itu salah. Sisa ${n} percobaan.`,
  verifiedAs: (phone) => `Terverifikasi: ${phone}`,
  startOver: 'Mulai lagi',
  useAnotherWay: 'Gunakan cara lain',
  working: 'Mohon tunggu…',
  final: {
    approved: 'Nomor ini sudah terverifikasi.',
    canceled: 'Verifikasi ini dibatalkan. Mulai lagi untuk mendapatkan yang baru.',
    expired: 'Verifikasi ini sudah kedaluwarsa. Mulai lagi untuk mendapatkan yang baru.',
    max_attempts_reached: 'Terlalu banyak kode salah. Mulai lagi untuk mendapatkan kode baru.',
    failed: 'Kami tidak dapat mengirim kode. Periksa nomornya lalu mulai lagi.',
  },
  errors: {
    validation_failed: 'Ada isian yang kurang tepat. Periksa lalu coba lagi.',
    invalid_phone: 'Nomor telepon tidak valid. Sertakan kode negara, mis. +62 812…',
    unauthorized: 'Demo ini tidak diizinkan melakukan itu.',
    invalid_signature: 'Demo ini tidak diizinkan melakukan itu.',
    country_not_allowed: 'Nomor dari negara ini tidak dapat diverifikasi di sini.',
    forbidden: 'Nomor ini tidak dapat diverifikasi saat ini. Coba nomor lain atau nanti.',
    not_found: 'Verifikasi ini sudah tidak ada. Mulai lagi.',
    verification_not_pending: 'Verifikasi ini sudah selesai. Mulai lagi.',
    idempotency_conflict: 'Permintaan ini sudah dibuat dengan data berbeda. Mulai lagi.',
    payload_too_large: 'Isiannya terlalu panjang.',
    rate_limited: 'Terlalu banyak percobaan. Mohon tunggu sebentar.',
    resend_too_soon: 'Mohon tunggu sebelum meminta kode baru.',
    max_sends_reached:
      'Tidak ada lagi kode yang dapat dikirim untuk verifikasi ini. Mulai lagi nanti.',
    delivery_failed: 'Kami tidak dapat mengirim kode. Periksa nomornya lalu coba lagi.',
    internal_error: 'Terjadi kesalahan di sisi kami. Silakan coba lagi.',
    request_timeout: 'Terlalu lama. Silakan coba lagi.',
    headers_too_large: 'Permintaan terlalu besar. Muat ulang halaman lalu coba lagi.',
    service_unavailable: 'Layanan sedang sibuk atau tidak tersedia. Coba lagi sebentar lagi.',
    pages_not_built: 'Halaman ini belum terpasang dengan benar (jalankan npm run build).',
    templates_not_configured: 'Template WhatsApp belum disiapkan di server ini.',
    provider_error: 'WhatsApp tidak menjawab seperti biasa. Silakan coba lagi sebentar lagi.',
    network_error: 'Tidak ada koneksi ke server. Periksa jaringan Anda lalu coba lagi.',
    demo_unavailable:
      'Demo tidak tersedia di server ini: demo memerlukan aplikasi pengembangan (bukan di produksi).',
  },
  retryIn: (s) => `Coba lagi dalam ${s} dtk.`,
  simulator: {
    heading: 'Simulator ponsel',
    help: 'Pesan yang dikirim sandbox ke nomor ini. Pada alur masuk, kirim pesan yang sudah terisi dari sini.',
    business: 'wa-verify (bisnis)',
    fromLabel: 'Nomor ponsel ini',
    messageLabel: 'Pesan',
    send: 'Kirim',
    copyCode: 'Salin kode',
    copied: 'Kode disalin',
    empty: 'Belum ada pesan.',
    otpTitle: 'Kode verifikasi',
    you: 'Anda',
    waitingForCode: 'Mulai verifikasi untuk melihat pesan di sini.',
  },
};

export const STRINGS: Record<Lang, Strings> = { en, id };

/** The message for an API error code (unknown codes get the generic one). */
export function errorMessage(t: Strings, code: string): string {
  return code in t.errors ? t.errors[code as ErrorCodeKey] : t.errors.internal_error;
}
