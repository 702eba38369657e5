import { Inject, Injectable } from '@nestjs/common';
import { LimitHitAuditor } from '../abuse/limit-hit-auditor';
import { MINUTE_MS } from '../abuse/rate-limits';
import { Actor } from '../auth/auth.types';
import { safeEqual } from '../common/crypto';
import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { ProviderName } from '../providers/messaging-provider';
import { ProviderRegistry } from '../providers/provider-registry';
import { isRecord } from '../providers/provider-utils';
import { MetaHandshakeQueryDto, WebhookAckDto } from './dto/provider-webhook.dto';
import { InboxService } from './inbox.service';

const CHALLENGE = /^[A-Za-z0-9_.-]{1,256}$/;

/**
 * Provider webhooks: authenticate by signature (on the raw bytes for Meta, over URL and form for
 * Twilio), parse with the provider's adapter, and hand the typed events to the inbox. Nothing is
 * stored or processed for a request whose signature does not verify.
 */
@Injectable()
export class ProviderWebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly inbox: InboxService,
    private readonly auditor: LimitHitAuditor,
    private readonly metrics: MetricsService,
  ) {}

  /** Meta's subscription handshake: the challenge back when the verify token matches. */
  metaHandshake(query: MetaHandshakeQueryDto): string {
    const expected = this.config.meta.verifyToken;
    const given = query['hub.verify_token'] ?? '';
    const tokenOk = safeEqual(given, expected) && expected.length > 0;
    if (query['hub.mode'] !== 'subscribe' || !tokenOk) {
      throw new DomainException(ErrorCode.FORBIDDEN, 'Verify token does not match');
    }
    const challenge = query['hub.challenge'];
    if (!challenge || !CHALLENGE.test(challenge)) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'hub.challenge is missing or malformed',
        {
          details: [
            {
              field: 'hub.challenge',
              message: 'must be 1 to 256 letters, digits, `_`, `.` or `-`',
            },
          ],
        },
      );
    }
    return challenge;
  }

  async receiveMeta(
    rawBody: Buffer | undefined,
    signature: string | undefined,
    body: unknown,
    ip: string | null,
  ): Promise<WebhookAckDto> {
    const meta = this.registry.meta();
    if (!meta || !rawBody || !meta.verifySignature(rawBody, signature))
      return this.reject('meta', ip);
    return this.accept(meta.parseEvents(body), 'meta', ip);
  }

  async receiveTwilio(
    body: unknown,
    signature: string | undefined,
    ip: string | null,
  ): Promise<WebhookAckDto> {
    const twilio = this.registry.twilio();
    const params = formParams(body);
    if (
      !twilio ||
      !params ||
      !twilio.verifySignature(this.config.twilio.webhookUrl, params, signature)
    )
      return this.reject('twilio', ip);
    return this.accept(twilio.parseEvents(params), 'twilio', ip);
  }

  private async accept(
    events: Parameters<InboxService['accept']>[0],
    provider: ProviderName,
    ip: string | null,
  ): Promise<WebhookAckDto> {
    const { ids, duplicates } = await this.inbox.accept(events, providerActor(provider, ip));
    this.metrics.providerWebhookAccepted(provider, ids.length, duplicates);
    return { received: ids.length, duplicates };
  }

  /** 401; audited at most once per client IP and minute, so a flood of bad signatures cannot fill the audit trail. */
  private async reject(provider: ProviderName, ip: string | null): Promise<never> {
    this.metrics.providerWebhookRejected(provider);
    await this.auditor.recordAtMostOncePer(`signature.rejected|${ip ?? 'unknown'}`, MINUTE_MS, {
      type: 'signature.rejected',
      appId: null,
      actor: providerActor(provider, ip),
      data: { provider },
    });
    throw new DomainException(ErrorCode.INVALID_SIGNATURE, 'Missing or invalid webhook signature');
  }
}

export function providerActor(provider: ProviderName, ip: string | null): Actor {
  return { type: 'provider', id: provider, ip };
}

/** A parsed form body as string parameters; null for anything else (repeated keys included). */
function formParams(body: unknown): Record<string, string> | null {
  if (!isRecord(body)) return null;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string') return null;
    params[key] = value;
  }
  return params;
}
