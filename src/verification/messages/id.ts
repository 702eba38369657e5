import { MessageCatalog } from './message.types';

const app = (brand: string | null): string => (brand ? `aplikasi ${brand}` : 'aplikasi');

/** Bahasa Indonesia. */
export const id: MessageCatalog = {
  inboundRequest: ({ brand, token }) =>
    `Verifikasi nomor saya${brand ? ` untuk ${brand}` : ''}: ${token}. ` +
    'Kirim pesan ini tanpa mengubahnya.',
  inboundConfirmed: ({ brand }) =>
    `Nomor Anda berhasil diverifikasi. Silakan kembali ke ${app(brand)}.`,
  inboundCode: ({ brand, code, minutes }) =>
    `${code} adalah kode verifikasi ${brand ? `${brand} ` : ''}Anda. ` +
    `Kode ini berlaku selama ${minutes} menit.`,
  inboundMismatch: ({ brand }) =>
    'Maaf, kode ini diminta untuk nomor lain. ' +
    `Silakan mulai lagi dari ${app(brand)} dengan nomor WhatsApp Anda.`,
  inboundExpired: ({ brand }) =>
    'Verifikasi ini sudah kedaluwarsa atau sudah digunakan. ' +
    `Silakan mulai lagi dari ${app(brand)}.`,
  inboundHelp: ({ brand }) => `Untuk memverifikasi nomor Anda, gunakan tautan dari ${app(brand)}.`,
  inboundRefused: ({ brand }) =>
    `Maaf, nomor ini tidak dapat diverifikasi untuk ${app(brand)}. ` +
    'Silakan coba lagi nanti atau gunakan nomor lain.',
  inboundSharePhone: ({ brand }) =>
    `Untuk memverifikasi nomor Anda di ${app(brand)}, kami perlu melihat nomor telepon Anda, ` +
    'yang disembunyikan oleh nama pengguna WhatsApp Anda. Silakan bagikan nomor Anda kepada kami ' +
    'di chat ini, lalu kirim ulang pesan verifikasi.',
  otpCode: ({ brand, code }) =>
    `${code} adalah kode verifikasi ${brand ? `${brand} ` : ''}Anda. ` +
    'Jangan berikan kode ini kepada siapa pun.',
};
