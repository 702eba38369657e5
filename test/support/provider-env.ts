import { FakeTwilioServer } from './fake-twilio-server';

/**
 * Environment for an app that sends WhatsApp through Meta (a FakeGraphServer) and SMS through
 * Twilio (a FakeTwilioServer), both on 127.0.0.1. `overrides` adds or replaces variables.
 */
export function metaWithTwilioSmsEnv(
  graphUrl: string,
  twilioUrl: string,
  twilio: FakeTwilioServer,
  meta: { phoneNumberId: string; appSecret: string; verifyToken: string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    WHATSAPP_PROVIDER: 'meta',
    META_API_BASE_URL: graphUrl,
    META_ACCESS_TOKEN: 'test-access-token',
    META_PHONE_NUMBER_ID: meta.phoneNumberId,
    META_APP_SECRET: meta.appSecret,
    META_VERIFY_TOKEN: meta.verifyToken,
    SMS_PROVIDER: 'twilio',
    TWILIO_API_BASE_URL: twilioUrl,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_SMS_FROM: '+15005550006',
    ...overrides,
  };
}
