import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { performance } from 'node:perf_hooks';
import { Clock } from '../common/clock';
import { AppConfig, SmsProviderName, WhatsappProviderName } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { Channel } from '../verification/verification.types';
import { SandboxMessage } from './entities/sandbox-message.entity';
import {
  DeliveryError,
  MessagingProvider,
  OutboundMessage,
  ProviderName,
  SendResult,
} from './messaging-provider';
import { MetaTemplatesClient } from './meta/meta-templates.client';
import { MetaWhatsappProvider } from './meta/meta-whatsapp.provider';
import { SandboxProvider } from './sandbox/sandbox.provider';
import { TwilioProvider } from './twilio/twilio.provider';

export interface ChannelFailure {
  channel: Channel;
  /** Null when no provider is configured for the channel. */
  provider: ProviderName | null;
  /** Safe summary (never the code or the message text). */
  error: string;
  /** True when the provider said another try later may work (timeouts, 5xx, throttling). */
  retryable: boolean;
  /** The provider's error code (Meta `131026`, Twilio `63024`), when it gave one. */
  errorCode: string | null;
}

/** One send on one channel: what the provider answered, or why it failed. */
export type ChannelSend =
  | { ok: true; channel: Channel; provider: ProviderName; result: SendResult }
  | { ok: false; failure: ChannelFailure };

export interface FirstAvailableResult {
  channel: Channel;
  provider: ProviderName;
  result: SendResult;
  /** Channels tried before the one that worked. */
  failures: ChannelFailure[];
}

/** No channel in the list could deliver; `failures` says why, in the order they were tried. */
export class AllChannelsFailedError extends Error {
  constructor(readonly failures: ChannelFailure[]) {
    super(
      failures.length === 0
        ? 'no channel to deliver on'
        : `all channels failed: ${failures.map((f) => `${f.channel}: ${f.error}`).join('; ')}`,
    );
    this.name = 'AllChannelsFailedError';
  }

  /** True when at least one channel failed in a way that may succeed later. */
  get retryable(): boolean {
    return this.failures.some((failure) => failure.retryable);
  }
}

/**
 * The one factory of messaging adapters: reads the validated config once, builds the adapter for
 * each channel, and owns the fallback order of a send.
 */
@Injectable()
export class ProviderRegistry {
  private readonly logger = new Logger(ProviderRegistry.name);
  private readonly providers = new Map<Channel, MessagingProvider>();
  private readonly metaProvider: MetaWhatsappProvider | null = null;
  private readonly twilioProvider: TwilioProvider | null = null;
  private readonly templatesClient: MetaTemplatesClient | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(SandboxMessage) sandboxMessages: Repository<SandboxMessage>,
    clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    const whatsapp = ProviderRegistry.buildWhatsapp(
      config.whatsappProvider,
      config,
      sandboxMessages,
      clock,
    );
    this.providers.set(Channel.WHATSAPP, whatsapp);
    const sms = ProviderRegistry.buildSms(config.smsProvider, config, sandboxMessages, clock);
    if (sms) this.providers.set(Channel.SMS, sms);

    if (whatsapp instanceof MetaWhatsappProvider) {
      this.metaProvider = whatsapp;
      if (config.meta.wabaId)
        this.templatesClient = new MetaTemplatesClient(config.meta, config.meta.wabaId);
    }
    if (whatsapp instanceof TwilioProvider) this.twilioProvider = whatsapp;
    else if (sms instanceof TwilioProvider) this.twilioProvider = sms;
  }

  /** The adapter for a channel, or null when the channel is switched off (`SMS_PROVIDER=none`). */
  forChannel(channel: Channel): MessagingProvider | null {
    return this.providers.get(channel) ?? null;
  }

  /** The Meta adapter (webhook signature and parsing), when `WHATSAPP_PROVIDER=meta`. */
  meta(): MetaWhatsappProvider | null {
    return this.metaProvider;
  }

  /** The WABA's message templates, when `WHATSAPP_PROVIDER=meta` and META_WABA_ID is set. */
  metaTemplates(): MetaTemplatesClient | null {
    return this.templatesClient;
  }

  /** A Twilio adapter (webhook signature and parsing), when any channel uses Twilio. */
  twilio(): TwilioProvider | null {
    return this.twilioProvider;
  }

  /** True when any channel uses the sandbox (then the sandbox endpoints may be served). */
  isSandboxActive(): boolean {
    return [...this.providers.values()].some((provider) => provider.name === 'sandbox');
  }

  /**
   * Tries `channels` in order and returns the first successful send. A channel without a provider
   * counts as a failure; a send is never retried here (the caller decides, e.g. on resend).
   * @throws AllChannelsFailedError when no channel delivered.
   */
  async sendFirstAvailable(
    message: Omit<OutboundMessage, 'channel'>,
    channels: Channel[],
  ): Promise<FirstAvailableResult> {
    const failures: ChannelFailure[] = [];
    for (const channel of [...new Set(channels)]) {
      const sent = await this.sendOn(channel, message);
      if (sent.ok) return { ...sent, failures };
      failures.push(sent.failure);
    }
    throw new AllChannelsFailedError(failures);
  }

  /** One send on `channel`, never thrown: a channel without a provider is a failure too. */
  async sendOn(channel: Channel, message: Omit<OutboundMessage, 'channel'>): Promise<ChannelSend> {
    const provider = this.forChannel(channel);
    if (!provider) {
      return {
        ok: false,
        failure: {
          channel,
          provider: null,
          error: `no provider configured for ${channel}`,
          retryable: false,
          errorCode: null,
        },
      };
    }
    const started = performance.now();
    try {
      const result = await provider.send({ ...message, channel });
      this.metrics.providerSend(provider.name, channel, true, secondsSince(started));
      return { ok: true, channel, provider: provider.name, result };
    } catch (error) {
      this.metrics.providerSend(provider.name, channel, false, secondsSince(started));
      const failure = ProviderRegistry.failureOf(channel, provider.name, error);
      this.logger.warn(`Send on ${channel} via ${provider.name} failed: ${failure.error}`);
      return { ok: false, failure };
    }
  }

  private static failureOf(
    channel: Channel,
    provider: ProviderName,
    error: unknown,
  ): ChannelFailure {
    if (error instanceof DeliveryError) {
      return {
        channel,
        provider,
        error: error.message,
        retryable: error.retryable,
        errorCode: error.providerCode ?? null,
      };
    }
    // Unexpected errors (database, bugs): their text is not vetted, so only the type is kept.
    const name = error instanceof Error ? error.name : 'unknown';
    new Logger(ProviderRegistry.name).error(
      `Unexpected error sending on ${channel} via ${provider}`,
      error instanceof Error ? error.stack : undefined,
    );
    return { channel, provider, error: `unexpected ${name}`, retryable: false, errorCode: null };
  }

  private static buildWhatsapp(
    name: WhatsappProviderName,
    config: AppConfig,
    sandboxMessages: Repository<SandboxMessage>,
    clock: Clock,
  ): MessagingProvider {
    switch (name) {
      case 'sandbox':
        return new SandboxProvider(Channel.WHATSAPP, sandboxMessages, clock);
      case 'meta':
        return new MetaWhatsappProvider(config.meta, clock);
      case 'twilio':
        return new TwilioProvider(Channel.WHATSAPP, config.twilio, clock);
      default:
        return ProviderRegistry.unknown('WHATSAPP_PROVIDER', name);
    }
  }

  private static buildSms(
    name: SmsProviderName,
    config: AppConfig,
    sandboxMessages: Repository<SandboxMessage>,
    clock: Clock,
  ): MessagingProvider | null {
    switch (name) {
      case 'sandbox':
        return new SandboxProvider(Channel.SMS, sandboxMessages, clock);
      case 'twilio':
        return new TwilioProvider(Channel.SMS, config.twilio, clock);
      case 'none':
        return null;
      default:
        return ProviderRegistry.unknown('SMS_PROVIDER', name);
    }
  }

  private static unknown(variable: string, name: never): never {
    throw new Error(`${variable}: unknown provider "${String(name)}"`);
  }
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
