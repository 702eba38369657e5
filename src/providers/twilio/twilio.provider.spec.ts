import twilio from 'twilio';
import { FakeTwilioServer } from '../../../test/support/fake-twilio-server';
import { TwilioConfig } from '../../config/app-config';
import { Channel, DeliveryStatus } from '../../verification/verification.types';
import { DeliveryError, OutboundMessage } from '../messaging-provider';
import { FixedClock, rejectionOf } from '../../../test/support/test-helpers';
import { TwilioProvider } from './twilio.provider';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const WEBHOOK_URL = 'https://verify.example.com/v1/webhooks/twilio';

function twilioConfig(apiBaseUrl: string, overrides: Partial<TwilioConfig> = {}): TwilioConfig {
  return {
    apiBaseUrl,
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    smsFrom: '+15017122661',
    whatsappFrom: '+14155238886',
    webhookUrl: WEBHOOK_URL,
    timeoutMs: 2000,
    ...overrides,
  };
}

const message = (channel: Channel): OutboundMessage => ({
  to: '+6281212345678',
  channel,
  kind: 'code',
  code: '482913',
  text: 'Your Acme code is 482913.',
  locale: 'en',
});

describe('TwilioProvider.send', () => {
  const server = new FakeTwilioServer(ACCOUNT_SID, AUTH_TOKEN);
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => server.reset());

  it('posts an SMS as a form with basic auth and the status callback', async () => {
    const provider = new TwilioProvider(Channel.SMS, twilioConfig(baseUrl), new FixedClock(NOW));

    const result = await provider.send(message(Channel.SMS));

    expect(result.messageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.status).toBe(DeliveryStatus.QUEUED);
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    );
    expect(request.body).toEqual({
      To: '+6281212345678',
      From: '+15017122661',
      Body: 'Your Acme code is 482913.',
      StatusCallback: WEBHOOK_URL,
    });
  });

  it('prefixes To and From with whatsapp: on the WhatsApp channel', async () => {
    const provider = new TwilioProvider(
      Channel.WHATSAPP,
      twilioConfig(baseUrl),
      new FixedClock(NOW),
    );

    await provider.send(message(Channel.WHATSAPP));

    expect(server.lastMessageTo('+6281212345678')?.body).toMatchObject({
      To: 'whatsapp:+6281212345678',
      From: 'whatsapp:+14155238886',
    });
  });

  it('does not double a whatsapp: prefix already present in the configured sender', async () => {
    const provider = new TwilioProvider(
      Channel.WHATSAPP,
      twilioConfig(baseUrl, { whatsappFrom: 'whatsapp:+14155238886' }),
      new FixedClock(NOW),
    );
    await provider.send(message(Channel.WHATSAPP));
    expect(server.requests[0].body).toMatchObject({ From: 'whatsapp:+14155238886' });
  });

  it('omits StatusCallback when no webhook URL is configured', async () => {
    const provider = new TwilioProvider(
      Channel.SMS,
      twilioConfig(baseUrl, { webhookUrl: '' }),
      new FixedClock(NOW),
    );
    await provider.send(message(Channel.SMS));
    expect(server.requests[0].body).not.toHaveProperty('StatusCallback');
  });

  it('maps a 401 (wrong credentials) to a non-retryable error with the Twilio code', async () => {
    const provider = new TwilioProvider(
      Channel.SMS,
      twilioConfig(baseUrl, { authToken: 'wrong-token' }),
      new FixedClock(NOW),
    );
    const error = (await rejectionOf(provider.send(message(Channel.SMS)))) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe('20003');
    expect(error.message).toBe('twilio error 20003: Authenticate');
  });

  it('maps a 400 with the recipient in the message without leaking the number or code', async () => {
    server.failNext(1, 400, {
      code: 21211,
      message: "The 'To' number +6281212345678 is not a valid phone number (482913).",
      status: 400,
    });
    const provider = new TwilioProvider(Channel.SMS, twilioConfig(baseUrl), new FixedClock(NOW));
    const error = (await rejectionOf(provider.send(message(Channel.SMS)))) as DeliveryError;
    expect(error.retryable).toBe(false);
    expect(error.providerCode).toBe('21211');
    expect(error.message).not.toContain('6281212345678');
    expect(error.message).not.toContain('482913');
  });

  it.each([500, 503, 429])('maps HTTP %i to a retryable error', async (status) => {
    server.failNext(1, status);
    const provider = new TwilioProvider(Channel.SMS, twilioConfig(baseUrl), new FixedClock(NOW));
    const error = (await rejectionOf(provider.send(message(Channel.SMS)))) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retryable).toBe(true);
  });

  it('gives up after the configured timeout with a retryable error', async () => {
    server.delayMs = 10_000;
    const provider = new TwilioProvider(
      Channel.SMS,
      twilioConfig(baseUrl, { timeoutMs: 200 }),
      new FixedClock(NOW),
    );
    const error = (await rejectionOf(provider.send(message(Channel.SMS)))) as DeliveryError;
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('timed out');
  });
});

describe('TwilioProvider.verifySignature', () => {
  const provider = new TwilioProvider(
    Channel.SMS,
    twilioConfig('http://127.0.0.1:1'),
    new FixedClock(NOW),
  );
  const params = {
    AccountSid: ACCOUNT_SID,
    MessageSid: 'SM0123456789abcdef0123456789abcdef',
    MessageStatus: 'delivered',
    To: '+6281212345678',
  };

  it('accepts the signature Twilio computes over the URL and the parameters', () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, WEBHOOK_URL, params);
    expect(provider.verifySignature(WEBHOOK_URL, params, signature)).toBe(true);
  });

  it('rejects a signature made with another token', () => {
    const signature = twilio.getExpectedTwilioSignature('another-token', WEBHOOK_URL, params);
    expect(provider.verifySignature(WEBHOOK_URL, params, signature)).toBe(false);
  });

  it('rejects a signature when a parameter was changed', () => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, WEBHOOK_URL, params);
    expect(
      provider.verifySignature(WEBHOOK_URL, { ...params, MessageStatus: 'read' }, signature),
    ).toBe(false);
  });

  it('rejects a signature computed for another URL', () => {
    const signature = twilio.getExpectedTwilioSignature(
      AUTH_TOKEN,
      'https://evil.example.com/',
      params,
    );
    expect(provider.verifySignature(WEBHOOK_URL, params, signature)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', 'not-a-signature'],
  ])('rejects a header that is %s', (_label, header) => {
    expect(provider.verifySignature(WEBHOOK_URL, params, header)).toBe(false);
  });
});

describe('TwilioProvider.parseEvents', () => {
  const provider = new TwilioProvider(
    Channel.SMS,
    twilioConfig('http://127.0.0.1:1'),
    new FixedClock(NOW),
  );

  it('parses a delivered status callback', () => {
    expect(
      provider.parseEvents({
        AccountSid: ACCOUNT_SID,
        ApiVersion: '2010-04-01',
        ChannelPrefix: 'whatsapp',
        From: 'whatsapp:+14155238886',
        MessageSid: 'SM11111111111111111111111111111111',
        MessageStatus: 'delivered',
        SmsSid: 'SM11111111111111111111111111111111',
        SmsStatus: 'delivered',
        To: 'whatsapp:+6281212345678',
      }),
    ).toEqual([
      {
        kind: 'status',
        provider: 'twilio',
        messageId: 'SM11111111111111111111111111111111',
        status: DeliveryStatus.DELIVERED,
        error: null,
        errorCode: null,
        timestamp: NOW,
      },
    ]);
  });

  it('parses an undelivered status callback with its error code', () => {
    const [event] = provider.parseEvents({
      AccountSid: ACCOUNT_SID,
      MessageSid: 'SM22222222222222222222222222222222',
      MessageStatus: 'undelivered',
      ErrorCode: '30008',
      ErrorMessage: 'Unknown error',
      To: '+6281212345678',
    });
    expect(event).toMatchObject({
      kind: 'status',
      status: DeliveryStatus.FAILED,
      error: '30008 Unknown error',
      errorCode: '30008',
    });
  });

  it.each([
    ['queued', DeliveryStatus.QUEUED],
    ['sending', DeliveryStatus.ACCEPTED],
    ['sent', DeliveryStatus.SENT],
    ['read', DeliveryStatus.READ],
    ['failed', DeliveryStatus.FAILED],
  ])('maps status %s to %s', (raw, expected) => {
    const [event] = provider.parseEvents({ MessageSid: 'SM3', MessageStatus: raw });
    expect(event).toMatchObject({ kind: 'status', status: expected });
  });

  it('skips an unknown status', () => {
    expect(
      provider.parseEvents({ MessageSid: 'SM3', MessageStatus: 'partially_delivered' }),
    ).toEqual([]);
  });

  it('parses an inbound WhatsApp message', () => {
    expect(
      provider.parseEvents({
        AccountSid: ACCOUNT_SID,
        Body: 'Verify me: WAV-7Q2K9',
        From: 'whatsapp:+6281212345678',
        MessageSid: 'SM44444444444444444444444444444444',
        NumMedia: '0',
        ProfileName: 'Sheena',
        SmsMessageSid: 'SM44444444444444444444444444444444',
        SmsStatus: 'received',
        To: 'whatsapp:+14155238886',
        WaId: '6281212345678',
      }),
    ).toEqual([
      {
        kind: 'message',
        provider: 'twilio',
        channel: Channel.WHATSAPP,
        messageId: 'SM44444444444444444444444444444444',
        from: '+6281212345678',
        waUserId: null,
        text: 'Verify me: WAV-7Q2K9',
        timestamp: NOW,
      },
    ]);
  });

  it('parses an inbound SMS (no prefix) identified by SmsMessageSid only', () => {
    const [event] = provider.parseEvents({
      Body: 'hello',
      From: '+6281212345678',
      SmsMessageSid: 'SM55555555555555555555555555555555',
      To: '+15017122661',
    });
    expect(event).toMatchObject({
      kind: 'message',
      channel: Channel.SMS,
      messageId: 'SM55555555555555555555555555555555',
      from: '+6281212345678',
      text: 'hello',
    });
  });

  it('gives text null for a media message without body', () => {
    const [event] = provider.parseEvents({
      Body: '',
      From: 'whatsapp:+6281212345678',
      MessageSid: 'SM6',
      NumMedia: '1',
    });
    expect(event).toMatchObject({ kind: 'message', text: null });
  });

  it('ignores callbacks for another account', () => {
    expect(
      provider.parseEvents({
        AccountSid: 'ACother',
        MessageSid: 'SM7',
        MessageStatus: 'delivered',
      }),
    ).toEqual([]);
  });

  it.each([
    ['empty', {}],
    ['no sid', { MessageStatus: 'delivered' }],
    ['inbound without sender', { MessageSid: 'SM8', Body: 'hi' }],
    ['inbound with a bad sender', { MessageSid: 'SM8', Body: 'hi', From: 'whatsapp:hello' }],
  ])('returns [] for %s', (_label, params: Record<string, string>) => {
    expect(provider.parseEvents(params)).toEqual([]);
  });
});
