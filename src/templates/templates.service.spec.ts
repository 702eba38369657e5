import { codeExpirationMinutes, messageSendTtlSeconds } from './templates.service';
import { MetaTemplatesClient } from '../providers/meta/meta-templates.client';

describe('authentication template settings', () => {
  it('turns the TTL into whole expiry minutes within 1..90', () => {
    expect(codeExpirationMinutes(600)).toBe(10);
    expect(codeExpirationMinutes(659)).toBe(10);
    expect(codeExpirationMinutes(30)).toBe(1);
    expect(codeExpirationMinutes(3600)).toBe(60);
    expect(codeExpirationMinutes(7200)).toBe(90);
  });

  it('never lets WhatsApp deliver past the code life, within 30..900 s', () => {
    expect(messageSendTtlSeconds(600)).toBe(600);
    expect(messageSendTtlSeconds(3600)).toBe(900);
    expect(messageSendTtlSeconds(10)).toBe(30);
  });

  it('builds a copy-code template without Android apps', () => {
    expect(
      MetaTemplatesClient.authenticationPayload({
        name: 'otp_code',
        language: 'en',
        codeExpirationMinutes: 10,
        messageSendTtlSeconds: 600,
        otpButton: 'copy_code',
        androidApps: [{ packageName: 'com.acme.app', signatureHash: 'K8a/AINcGX7' }],
      }),
    ).toEqual({
      name: 'otp_code',
      language: 'en',
      category: 'AUTHENTICATION',
      message_send_ttl_seconds: 600,
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    });
  });
});
