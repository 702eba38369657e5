import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { FakeGraphServer } from '../../../test/support/fake-graph-server';
import { MetaConfig } from '../../config/app-config';
import { Channel, DeliveryStatus } from '../../verification/verification.types';
import { DeliveryError, OutboundMessage } from '../messaging-provider';
import { FixedClock, rejectionOf } from '../../../test/support/test-helpers';
import { MetaWhatsappProvider } from './meta-whatsapp.provider';

const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = 'meta-app-secret-for-tests';
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

function metaConfig(apiBaseUrl: string, overrides: Partial<MetaConfig> = {}): MetaConfig {
  return {
    apiBaseUrl,
    apiVersion: 'v21.0',
    accessToken: 'EAAG-test-access-token',
    phoneNumberId: PHONE_NUMBER_ID,
    appSecret: APP_SECRET,
    verifyToken: 'verify-token',
    otpTemplate: 'otp_code',
    timeoutMs: 2000,
    wabaId: null,
    templateLanguages: ['en', 'id', 'pt_BR'],
    otpButton: 'copy_code',
    androidApps: [],
    ...overrides,
  };
}

const codeMessage = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  to: '+6281212345678',
  channel: Channel.WHATSAPP,
  kind: 'code',
  code: '482913',
  text: 'Your Acme code is 482913.',
  locale: 'en',
  ...overrides,
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('MetaWhatsappProvider.send', () => {
  const graph = new FakeGraphServer();
  let provider: MetaWhatsappProvider;
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await graph.start();
  });
  afterAll(async () => {
    await graph.stop();
  });
  beforeEach(() => {
    graph.reset();
    provider = new MetaWhatsappProvider(metaConfig(baseUrl), new FixedClock(NOW));
  });

  it('sends a code through the authentication template with the code in body and button', async () => {
    const result = await provider.send(codeMessage());

    expect(result.status).toBe(DeliveryStatus.ACCEPTED);
    expect(result.messageId).toMatch(/^wamid\./);
    expect(graph.requests).toHaveLength(1);
    const [request] = graph.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/messages`);
    expect(request.headers.authorization).toBe('Bearer EAAG-test-access-token');
    expect(request.headers['content-type']).toContain('application/json');
    expect(request.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '6281212345678',
      type: 'template',
      template: {
        name: 'otp_code',
        language: { code: 'en' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
          {
            type: 'button',
            sub_type: 'url',
            index: '0',
            parameters: [{ type: 'text', text: '482913' }],
          },
        ],
      },
    });
  });

  it('returns the wamid that the Graph API answered', async () => {
    const result = await provider.send(codeMessage());
    const answered = graph.lastMessageTo('6281212345678');
    expect(answered).toBeDefined();
    expect(result.messageId).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
  });

  it.each([
    ['en', 'en'],
    ['id', 'id'],
    ['pt-BR', 'pt_BR'],
    ['pt_BR', 'pt_BR'],
    ['pt-br', 'pt_BR'],
    ['pt', 'pt_BR'],
    ['pt-PT', 'pt_BR'],
    ['fr', 'en'],
  ])('maps locale %s to template language %s', async (locale, expected) => {
    await provider.send(codeMessage({ locale }));
    expect(graph.lastMessageTo('6281212345678')?.body.template?.language?.code).toBe(expected);
  });

  it('sends a text to a business-scoped user id with `recipient` and no `to`', async () => {
    graph.reset();
    await provider.send({
      to: null,
      toUserId: 'US.13491208655302741918',
      channel: Channel.WHATSAPP,
      kind: 'text',
      text: 'Please share your number.',
      locale: 'en',
    });
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0].body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: 'US.13491208655302741918',
      type: 'text',
      text: { preview_url: false, body: 'Please share your number.' },
    });
  });

  it('never sends an authentication template to a business-scoped user id', async () => {
    graph.reset();
    const error = await rejectionOf(
      provider.send(codeMessage({ to: null, toUserId: 'US.13491208655302741918' })),
    );
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).providerCode).toBe('131062');
    expect((error as DeliveryError).retryable).toBe(false);
    expect(graph.requests).toHaveLength(0);
  });

  it('sends a free-form text without link preview', async () => {
    await provider.send({
      to: '+6281212345678',
      channel: Channel.WHATSAPP,
      kind: 'text',
      text: 'You are verified for Acme.',
      locale: 'id',
    });

    expect(graph.requests[0].body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '6281212345678',
      type: 'text',
      text: { preview_url: false, body: 'You are verified for Acme.' },
    });
  });

  it('maps a Graph 4xx error to a non-retryable DeliveryError with the Meta code', async () => {
    graph.failNext(1, 400, {
      error: {
        message: '(#131026) Message undeliverable',
        type: 'OAuthException',
        code: 131026,
        error_subcode: 2494010,
        error_data: { messaging_product: 'whatsapp', details: 'Message Undeliverable.' },
        fbtrace_id: 'AbCdEf',
      },
    });

    const error = await rejectionOf(provider.send(codeMessage()));

    expect(error).toBeInstanceOf(DeliveryError);
    const delivery = error as DeliveryError;
    expect(delivery.retryable).toBe(false);
    expect(delivery.providerCode).toBe('131026');
    expect(delivery.message).toMatch(/^meta error 131026: /);
    expect(delivery.message).toContain('Message undeliverable');
    expect(delivery.message).not.toContain('482913');
    expect(delivery.message).not.toContain('6281212345678');
  });

  it('never repeats the code even when Meta echoes it in the error', async () => {
    graph.failNext(1, 400, {
      error: { message: 'Parameter value 482913 is not valid for +6281212345678', code: 100 },
    });

    const error = (await rejectionOf(provider.send(codeMessage()))) as DeliveryError;

    expect(error.providerCode).toBe('100');
    expect(error.message).not.toContain('482913');
    expect(error.message).not.toContain('6281212345678');
  });

  it('treats Graph throttling (130429) as retryable even with a 400', async () => {
    graph.failNext(1, 400, { error: { message: 'Rate limit hit', code: 130429 } });
    const error = (await rejectionOf(provider.send(codeMessage()))) as DeliveryError;
    expect(error.retryable).toBe(true);
    expect(error.providerCode).toBe('130429');
  });

  it.each([500, 503, 429])('maps HTTP %i to a retryable DeliveryError', async (status) => {
    graph.failNext(1, status);
    const error = await rejectionOf(provider.send(codeMessage()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
  });

  it('maps a non-JSON error page to a DeliveryError with the HTTP status', async () => {
    graph.failNext(1, 502, '<html>Bad Gateway</html>');
    const error = (await rejectionOf(provider.send(codeMessage()))) as DeliveryError;
    expect(error.message).toBe('meta http 502');
    expect(error.retryable).toBe(true);
    expect(error.providerCode).toBeUndefined();
  });

  it('maps a 200 without a message id to a non-retryable error (it may have been sent)', async () => {
    graph.failNext(1, 200, { messaging_product: 'whatsapp', messages: [] });
    const error = (await rejectionOf(provider.send(codeMessage()))) as DeliveryError;
    expect(error.retryable).toBe(false);
  });

  it('gives up after the configured timeout with a retryable error', async () => {
    graph.delayMs = 10_000;
    const slow = new MetaWhatsappProvider(
      metaConfig(baseUrl, { timeoutMs: 200 }),
      new FixedClock(NOW),
    );
    const started = Date.now();

    const error = (await rejectionOf(slow.send(codeMessage()))) as DeliveryError;

    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('timed out');
  });

  it('maps a refused connection to a retryable error', async () => {
    const port = await closedPort();
    const offline = new MetaWhatsappProvider(
      metaConfig(`http://127.0.0.1:${port}`),
      new FixedClock(NOW),
    );
    const error = (await rejectionOf(offline.send(codeMessage()))) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.retryable).toBe(true);
  });
});

describe('MetaWhatsappProvider.verifySignature', () => {
  const provider = new MetaWhatsappProvider(metaConfig('http://127.0.0.1:1'), new FixedClock(NOW));
  const sign = (body: Buffer, secret = APP_SECRET) =>
    `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  // Meta escapes non-ASCII characters in the JSON it sends; the HMAC covers these exact bytes.
  const rawBody = Buffer.from(
    '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"text":{"body":"caf\\u00e9 \\ud83d\\ude00"}}]}}]}]}',
    'utf8',
  );

  it('accepts the signature of the raw bytes', () => {
    expect(provider.verifySignature(rawBody, sign(rawBody))).toBe(true);
  });

  it('rejects a signature of the re-serialised JSON (bytes differ from what Meta signed)', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(rawBody.toString('utf8'))), 'utf8');
    expect(reserialised.equals(rawBody)).toBe(false);
    expect(provider.verifySignature(rawBody, sign(reserialised))).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(provider.verifySignature(rawBody, sign(rawBody, 'another-secret'))).toBe(false);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(rawBody.toString('utf8').replace('caf', 'cab'), 'utf8');
    expect(provider.verifySignature(tampered, sign(rawBody))).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the sha256= prefix', sign(rawBody).slice('sha256='.length)],
    ['with another algorithm', sign(rawBody).replace('sha256=', 'sha1=')],
    ['truncated', sign(rawBody).slice(0, -2)],
    ['not hex', `sha256=${'z'.repeat(64)}`],
  ])('rejects a header that is %s', (_label, header) => {
    expect(provider.verifySignature(rawBody, header)).toBe(false);
  });

  it('rejects everything when no app secret is configured', () => {
    const unsigned = new MetaWhatsappProvider(
      metaConfig('http://127.0.0.1:1', { appSecret: '' }),
      new FixedClock(NOW),
    );
    expect(unsigned.verifySignature(rawBody, sign(rawBody, ''))).toBe(false);
  });
});

describe('MetaWhatsappProvider.parseEvents', () => {
  const provider = new MetaWhatsappProvider(metaConfig('http://127.0.0.1:1'), new FixedClock(NOW));

  /** The envelope of a `messages` webhook, as in Meta's webhook reference. */
  const notification = (value: Record<string, unknown>, phoneNumberId = PHONE_NUMBER_ID) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  });

  it('parses an inbound text message', () => {
    const events = provider.parseEvents(
      notification({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '6281212345678' }],
        messages: [
          {
            from: '6281212345678',
            id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
            timestamp: '1749416383',
            type: 'text',
            text: { body: 'Verify me: WAV-7Q2K9' },
          },
        ],
      }),
    );

    expect(events).toEqual([
      {
        kind: 'message',
        provider: 'meta',
        channel: Channel.WHATSAPP,
        messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        from: '+6281212345678',
        waUserId: null,
        text: 'Verify me: WAV-7Q2K9',
        timestamp: 1749416383000,
      },
    ]);
  });

  it('keeps the business-scoped user id next to the phone when both are given', () => {
    const [event] = provider.parseEvents(
      notification({
        contacts: [
          {
            profile: { name: 'Sheena' },
            wa_id: '6281212345678',
            user_id: 'ID.13491208655302741918',
          },
        ],
        messages: [
          {
            from: '6281212345678',
            from_user_id: 'ID.13491208655302741918',
            id: 'wamid.A1',
            timestamp: '1749416383',
            type: 'text',
            text: { body: 'hi' },
          },
        ],
      }),
    );
    expect(event).toMatchObject({ from: '+6281212345678', waUserId: 'ID.13491208655302741918' });
  });

  it('parses an image message with text null', () => {
    const events = provider.parseEvents(
      notification({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
        messages: [
          {
            from: '16505551234',
            id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
            timestamp: '1744344496',
            type: 'image',
            image: {
              caption: 'WAV-7Q2K9',
              mime_type: 'image/jpeg',
              sha256: 'SfInY0gMPeHvzWd9b0ztOBbVzOHVyfjx2iHxpBUnX2Q=',
              id: '1003383421387256',
            },
          },
        ],
      }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'message', from: '+16505551234', text: null });
  });

  it('parses a sender known only by a business-scoped user id (username, phone hidden)', () => {
    const events = provider.parseEvents(
      notification({
        contacts: [
          { profile: { name: 'Sheena', username: 'sheena.n' }, user_id: 'US.13491208655302741918' },
        ],
        messages: [
          {
            from_user_id: 'US.13491208655302741918',
            id: 'wamid.B2',
            timestamp: '1749416383',
            type: 'text',
            text: { body: 'WAV-7Q2K9' },
          },
        ],
      }),
    );
    expect(events).toEqual([
      expect.objectContaining({
        from: null,
        waUserId: 'US.13491208655302741918',
        text: 'WAV-7Q2K9',
      }),
    ]);
  });

  it('takes the user id from the contact when the message has neither from nor from_user_id', () => {
    const [event] = provider.parseEvents(
      notification({
        contacts: [{ profile: { name: 'Sheena' }, user_id: 'US.99' }],
        messages: [{ id: 'wamid.C3', timestamp: '1749416383', type: 'text', text: { body: 'x' } }],
      }),
    );
    expect(event).toMatchObject({ from: null, waUserId: 'US.99' });
  });

  it('parses delivered and read statuses, with the pricing when given', () => {
    const events = provider.parseEvents(
      notification({
        statuses: [
          {
            id: 'wamid.D4',
            status: 'delivered',
            timestamp: '1750263773',
            recipient_id: '6281212345678',
            conversation: { id: 'abc', origin: { type: 'authentication' } },
            pricing: {
              billable: true,
              pricing_model: 'PMP',
              category: 'authentication',
              type: 'regular',
            },
          },
          {
            id: 'wamid.D4',
            status: 'read',
            timestamp: '1750263790',
            recipient_id: '6281212345678',
          },
        ],
      }),
    );
    expect(events).toEqual([
      {
        kind: 'status',
        provider: 'meta',
        messageId: 'wamid.D4',
        status: DeliveryStatus.DELIVERED,
        error: null,
        errorCode: null,
        timestamp: 1750263773000,
        pricing: { billable: true, category: 'authentication' },
      },
      {
        kind: 'status',
        provider: 'meta',
        messageId: 'wamid.D4',
        status: DeliveryStatus.READ,
        error: null,
        errorCode: null,
        timestamp: 1750263790000,
      },
    ]);
  });

  it('parses a failed status with its error code and title', () => {
    const [event] = provider.parseEvents(
      notification({
        statuses: [
          {
            id: 'wamid.E5',
            status: 'failed',
            timestamp: '1750263800',
            recipient_id: '6281212345678',
            errors: [
              {
                code: 131026,
                title: 'Message undeliverable',
                message: 'Message undeliverable',
                error_data: { details: 'Message Undeliverable.' },
              },
            ],
          },
        ],
      }),
    );
    expect(event).toEqual({
      kind: 'status',
      provider: 'meta',
      messageId: 'wamid.E5',
      status: DeliveryStatus.FAILED,
      error: '131026 Message undeliverable',
      errorCode: '131026',
      timestamp: 1750263800000,
    });
  });

  it('skips unknown statuses and keeps the rest', () => {
    const events = provider.parseEvents(
      notification({
        statuses: [
          { id: 'wamid.F6', status: 'deleted', timestamp: '1750263800' },
          { id: 'wamid.F6', status: 'sent', timestamp: '1750263801' },
        ],
      }),
    );
    expect(events).toEqual([expect.objectContaining({ status: DeliveryStatus.SENT })]);
  });

  it('skips changes for another phone number id', () => {
    const events = provider.parseEvents(
      notification(
        {
          messages: [
            {
              from: '6281212345678',
              id: 'wamid.G7',
              timestamp: '1',
              type: 'text',
              text: { body: 'x' },
            },
          ],
        },
        '999999999999999',
      ),
    );
    expect(events).toEqual([]);
  });

  it('skips other webhook fields', () => {
    const body = notification({});
    body.entry[0].changes[0].field = 'account_update';
    expect(provider.parseEvents(body)).toEqual([]);
  });

  it('uses the clock when a timestamp is missing', () => {
    const [event] = provider.parseEvents(
      notification({
        messages: [{ from: '6281212345678', id: 'wamid.H8', type: 'text', text: { body: 'x' } }],
      }),
    );
    expect(event?.timestamp).toBe(NOW);
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['another object type', { object: 'page', entry: [] }],
    ['entry not an array', { object: 'whatsapp_business_account', entry: 'x' }],
    [
      'changes of junk',
      {
        object: 'whatsapp_business_account',
        entry: [{ changes: [null, 1, 'x', { field: 'messages', value: 3 }] }],
      },
    ],
  ])('returns [] for %s', (_label, body) => {
    expect(provider.parseEvents(body)).toEqual([]);
  });

  it('skips malformed messages and statuses but keeps the good ones', () => {
    const events = provider.parseEvents(
      notification({
        messages: [
          null,
          { type: 'text', text: { body: 'no id' } },
          { id: 'wamid.I9', type: 'text', text: { body: 'no sender' } },
          { id: 'wamid.I10', from: 'not-a-phone', type: 'text' },
          {
            id: 'wamid.OK',
            from: '6281212345678',
            timestamp: '1749416383',
            type: 'text',
            text: 42,
          },
        ],
        statuses: [{ status: 'read' }, 'junk', { id: 'wamid.J1', status: 7 }],
      }),
    );
    expect(events).toEqual([
      expect.objectContaining({ kind: 'message', messageId: 'wamid.OK', text: null }),
    ]);
  });
});
