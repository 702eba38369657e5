import { Test } from '@nestjs/testing';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { FakeGraphServer } from '../../test/support/fake-graph-server';
import { FakeTwilioServer } from '../../test/support/fake-twilio-server';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { AppConfig, WhatsappProviderName, loadConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Channel, DeliveryStatus } from '../verification/verification.types';
import { SandboxMessage } from './entities/sandbox-message.entity';
import { MetaWhatsappProvider } from './meta/meta-whatsapp.provider';
import { AllChannelsFailedError, ProviderRegistry } from './provider-registry';
import { SandboxProvider } from './sandbox/sandbox.provider';
import { TwilioProvider } from './twilio/twilio.provider';
import { FixedClock, rejectionOf } from '../../test/support/test-helpers';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

/** The real config loader, so the registry sees exactly what start-up would give it. */
function configFrom(env: Record<string, string>): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    ADMIN_API_KEY: 'admin-key-for-registry-spec',
    OTP_PEPPER: 'pepper-for-registry-spec-0123456789',
    META_ACCESS_TOKEN: 'EAAG-test',
    META_PHONE_NUMBER_ID: '106540352242922',
    META_APP_SECRET: 'meta-app-secret',
    META_VERIFY_TOKEN: 'meta-verify-token',
    META_TIMEOUT: '1s',
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    TWILIO_AUTH_TOKEN: 'twilio-auth-token',
    TWILIO_SMS_FROM: '+15017122661',
    TWILIO_WHATSAPP_FROM: '+14155238886',
    ...env,
  });
}

async function registryFor(config: AppConfig): Promise<{
  registry: ProviderRegistry;
  sandbox: Repository<SandboxMessage>;
  close: () => Promise<void>;
}> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [SandboxMessage],
        synchronize: true, // throwaway in-memory database
      }),
      TypeOrmModule.forFeature([SandboxMessage]),
    ],
    providers: [
      ProviderRegistry,
      MetricsService,
      { provide: APP_CONFIG, useValue: config },
      { provide: Clock, useValue: new FixedClock(NOW) },
    ],
  }).compile();
  return {
    registry: moduleRef.get(ProviderRegistry),
    sandbox: moduleRef.get<Repository<SandboxMessage>>(getRepositoryToken(SandboxMessage)),
    close: () => moduleRef.close(),
  };
}

const message = {
  to: '+6281212345678',
  kind: 'code' as const,
  code: '482913',
  text: 'Your Acme code is 482913.',
  locale: 'en',
};

describe('ProviderRegistry', () => {
  const graph = new FakeGraphServer();
  const twilioServer = new FakeTwilioServer(
    'AC0123456789abcdef0123456789abcdef',
    'twilio-auth-token',
  );
  let graphUrl: string;
  let twilioUrl: string;
  const opened: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    graphUrl = await graph.start();
    twilioUrl = await twilioServer.start();
  });
  afterAll(async () => {
    await graph.stop();
    await twilioServer.stop();
  });
  beforeEach(() => {
    graph.reset();
    twilioServer.reset();
  });
  afterEach(async () => {
    while (opened.length > 0) await opened.pop()?.();
  });

  async function build(env: Record<string, string>) {
    const built = await registryFor(
      configFrom({ META_API_BASE_URL: graphUrl, TWILIO_API_BASE_URL: twilioUrl, ...env }),
    );
    opened.push(built.close);
    return built;
  }

  describe('construction', () => {
    it('uses the sandbox for both channels by default', async () => {
      const { registry } = await build({});
      expect(registry.forChannel(Channel.WHATSAPP)).toBeInstanceOf(SandboxProvider);
      expect(registry.forChannel(Channel.SMS)).toBeInstanceOf(SandboxProvider);
      expect(registry.forChannel(Channel.SMS)?.channel).toBe(Channel.SMS);
      expect(registry.isSandboxActive()).toBe(true);
      expect(registry.meta()).toBeNull();
      expect(registry.twilio()).toBeNull();
    });

    it('builds Meta for WhatsApp and Twilio for SMS', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'meta', SMS_PROVIDER: 'twilio' });
      expect(registry.forChannel(Channel.WHATSAPP)).toBeInstanceOf(MetaWhatsappProvider);
      expect(registry.meta()).toBe(registry.forChannel(Channel.WHATSAPP));
      expect(registry.forChannel(Channel.SMS)).toBeInstanceOf(TwilioProvider);
      expect(registry.twilio()).toBe(registry.forChannel(Channel.SMS));
      expect(registry.isSandboxActive()).toBe(false);
    });

    it('builds Twilio for WhatsApp and no SMS provider for none', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'twilio', SMS_PROVIDER: 'none' });
      expect(registry.forChannel(Channel.WHATSAPP)).toBeInstanceOf(TwilioProvider);
      expect(registry.forChannel(Channel.WHATSAPP)?.channel).toBe(Channel.WHATSAPP);
      expect(registry.forChannel(Channel.SMS)).toBeNull();
      expect(registry.twilio()).not.toBeNull();
      expect(registry.meta()).toBeNull();
      expect(registry.isSandboxActive()).toBe(false);
    });

    it('fails fast on an unknown provider name', async () => {
      const config = configFrom({});
      const broken: AppConfig = {
        ...config,
        whatsappProvider: 'carrier-pigeon' as unknown as WhatsappProviderName,
      };
      const error = await rejectionOf(registryFor(broken));
      expect(String(error)).toContain('unknown provider "carrier-pigeon"');
    });
  });

  describe('sendFirstAvailable', () => {
    it('sends on the first channel when it works and tries nothing else', async () => {
      const { registry, sandbox } = await build({
        WHATSAPP_PROVIDER: 'meta',
        SMS_PROVIDER: 'sandbox',
      });

      const sent = await registry.sendFirstAvailable(message, [Channel.WHATSAPP, Channel.SMS]);

      expect(sent.channel).toBe(Channel.WHATSAPP);
      expect(sent.provider).toBe('meta');
      expect(sent.result.messageId).toMatch(/^wamid\./);
      expect(sent.failures).toEqual([]);
      expect(graph.requests).toHaveLength(1);
      expect(await sandbox.count()).toBe(0);
    });

    it('falls back to SMS when WhatsApp fails, and reports the WhatsApp failure', async () => {
      const { registry, sandbox } = await build({
        WHATSAPP_PROVIDER: 'meta',
        SMS_PROVIDER: 'sandbox',
      });
      graph.failAll(503);

      const sent = await registry.sendFirstAvailable(message, [Channel.WHATSAPP, Channel.SMS]);

      expect(sent.channel).toBe(Channel.SMS);
      expect(sent.provider).toBe('sandbox');
      expect(sent.result.status).toBe(DeliveryStatus.ACCEPTED);
      expect(sent.result.messageId).toMatch(/^sandbox-/);
      expect(sent.failures).toEqual([
        {
          channel: Channel.WHATSAPP,
          provider: 'meta',
          error: expect.stringContaining('meta error 131000'),
          retryable: true,
          errorCode: '131000',
        },
      ]);
      const stored = await sandbox.find();
      expect(stored).toEqual([
        expect.objectContaining({
          to: '+6281212345678',
          channel: 'sms',
          text: message.text,
          createdAt: NOW,
        }),
      ]);
      expect(sent.result.messageId).toBe(`sandbox-${stored[0].id}`);
    });

    it('falls back from Meta to Twilio SMS over HTTP', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'meta', SMS_PROVIDER: 'twilio' });
      graph.failNext(1, 400);

      const sent = await registry.sendFirstAvailable(message, [Channel.WHATSAPP, Channel.SMS]);

      expect(sent).toMatchObject({ channel: Channel.SMS, provider: 'twilio' });
      expect(sent.failures).toEqual([
        expect.objectContaining({ provider: 'meta', retryable: false }),
      ]);
      expect(twilioServer.lastMessageTo('+6281212345678')?.body.Body).toBe(message.text);
    });

    it('throws AllChannelsFailedError when WhatsApp fails and there is no SMS provider', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'meta', SMS_PROVIDER: 'none' });
      graph.failAll(500);

      const error = await rejectionOf(
        registry.sendFirstAvailable(message, [Channel.WHATSAPP, Channel.SMS]),
      );

      expect(error).toBeInstanceOf(AllChannelsFailedError);
      const failures = (error as AllChannelsFailedError).failures;
      expect(failures).toEqual([
        expect.objectContaining({ channel: Channel.WHATSAPP, provider: 'meta', retryable: true }),
        {
          channel: Channel.SMS,
          provider: null,
          error: 'no provider configured for sms',
          retryable: false,
          errorCode: null,
        },
      ]);
      expect((error as AllChannelsFailedError).retryable).toBe(true);
      expect((error as Error).message).not.toContain('482913');
    });

    it('skips a channel without a provider and uses the next one', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'sandbox', SMS_PROVIDER: 'none' });

      const sent = await registry.sendFirstAvailable(message, [Channel.SMS, Channel.WHATSAPP]);

      expect(sent.channel).toBe(Channel.WHATSAPP);
      expect(sent.failures).toEqual([
        expect.objectContaining({ channel: Channel.SMS, provider: null }),
      ]);
    });

    it('tries each channel once even when listed twice', async () => {
      const { registry } = await build({ WHATSAPP_PROVIDER: 'meta', SMS_PROVIDER: 'none' });
      graph.failAll(500);

      const error = await rejectionOf(
        registry.sendFirstAvailable(message, [Channel.WHATSAPP, Channel.WHATSAPP]),
      );

      expect((error as AllChannelsFailedError).failures).toHaveLength(1);
      expect(graph.requests).toHaveLength(1);
    });

    it('throws AllChannelsFailedError with no failures for an empty channel list', async () => {
      const { registry } = await build({});
      const error = await rejectionOf(registry.sendFirstAvailable(message, []));
      expect(error).toBeInstanceOf(AllChannelsFailedError);
      expect((error as AllChannelsFailedError).failures).toEqual([]);
    });
  });
});
