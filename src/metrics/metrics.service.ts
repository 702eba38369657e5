import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RateLimiter } from '../abuse/rate-limits';
import { DomainException, ErrorCode } from '../common/errors';
import { countryOfE164 } from '../common/phone';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export type CheckResult = 'valid' | 'invalid' | 'not_pending';
export type ProviderWebhookOutcome = 'accepted' | 'invalid_signature' | 'duplicate';
export type ClientWebhookOutcome = 'delivered' | 'failed' | 'timeout';
export type FraudBlockReason = 'velocity' | 'low_conversion';

/** What the verification series need to know of a verification (never its phone or id on the wire). */
export interface CountedVerification {
  appId: string;
  flow: string;
  channel: string;
  phone: string | null;
  isTest: boolean;
}

/** The three gauges computed at scrape time (see BacklogGauges). */
export interface Backlog {
  clientWebhookPending: number;
  clientWebhookOldestPendingSeconds: number;
  inboxPending: number;
}

/** The country label: ISO 3166 alpha-2 of the phone, `ZZ` when unknown (inbound without a phone). */
export const UNKNOWN_COUNTRY = 'ZZ';
/** The `route` label of requests that matched no route (a 404 of any URL is one series). */
export const UNMATCHED_ROUTE = 'unmatched';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const TERMINAL_STATUSES = ['approved', 'canceled', 'expired', 'max_attempts_reached', 'failed'];

type Child = { inc(value?: number): void };

/**
 * The Prometheus metrics of this process. Owns a private Registry (never prom-client's global one,
 * so several app instances in one process do not collide) and every metric object; features call
 * the one-line methods below where an event happens. Labels are bounded: enums, provider names,
 * route patterns, ISO countries, and the app id only with METRICS_APP_LABEL=true.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly appLabel: boolean;
  /** Counter children by label values: the hot paths look one up instead of hashing a label object. */
  private readonly children = new Map<Counter<string>, Map<string, Child>>();

  private readonly created: Counter<string>;
  private readonly completed: Counter<string>;
  private readonly checks: Counter<string>;
  private readonly messagesSent: Counter<string>;
  private readonly providerDuration: Histogram<string>;
  private readonly deliveryStatuses: Counter<string>;
  private readonly providerWebhooks: Counter<string>;
  private readonly clientWebhookAttempts: Counter<string>;
  private readonly clientWebhookPending: Gauge;
  private readonly clientWebhookOldest: Gauge;
  private readonly inboxPending: Gauge;
  private readonly rateLimited: Counter<string>;
  private readonly fraudBlocks: Counter<string>;
  private readonly httpDuration: Histogram<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.appLabel = config.metricsAppLabel;
    const registers = [this.registry];
    const perApp = this.appLabel ? ['app_id'] : [];
    collectDefaultMetrics({ register: this.registry });

    this.created = new Counter({
      name: 'waverify_verifications_created_total',
      help: 'Verifications created (test numbers excluded), by flow, channel and country (ISO alpha-2, ZZ when unknown).',
      labelNames: ['flow', 'channel', 'country', ...perApp],
      registers,
    });
    this.completed = new Counter({
      name: 'waverify_verifications_completed_total',
      help: 'Verifications that reached a terminal status (approved, canceled, expired, max_attempts_reached, failed), test numbers excluded; channel is the one asked at creation, so approved/created is the conversion per channel.',
      labelNames: ['flow', 'channel', 'status', 'country', ...perApp],
      registers,
    });
    this.checks = new Counter({
      name: 'waverify_checks_total',
      help: 'Code checks: valid (approved), invalid (wrong code), not_pending (the verification was no longer pending).',
      labelNames: ['result'],
      registers,
    });
    this.messagesSent = new Counter({
      name: 'waverify_messages_sent_total',
      help: 'Send requests to a messaging provider (each channel tried counts once), by outcome ok or failed.',
      labelNames: ['provider', 'channel', 'outcome'],
      registers,
    });
    this.providerDuration = new Histogram({
      name: 'waverify_provider_request_duration_seconds',
      help: 'Duration of a send request to a messaging provider, successful or not.',
      labelNames: ['provider', 'channel'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deliveryStatuses = new Counter({
      name: 'waverify_delivery_status_total',
      help: 'Delivery statuses reported by provider status webhooks for messages we sent.',
      labelNames: ['channel', 'status'],
      registers,
    });
    this.providerWebhooks = new Counter({
      name: 'waverify_provider_webhooks_total',
      help: 'Provider webhooks: events accepted or duplicate (already in the inbox), requests refused for an invalid signature.',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.clientWebhookAttempts = new Counter({
      name: 'waverify_client_webhook_attempts_total',
      help: "Attempts to POST a client webhook to an app's webhookUrl: delivered (2xx), failed, timeout.",
      labelNames: ['outcome'],
      registers,
    });
    this.clientWebhookPending = new Gauge({
      name: 'waverify_client_webhook_pending',
      help: 'Client webhooks waiting to be delivered (pending in the outbox), computed at scrape time.',
      registers,
    });
    this.clientWebhookOldest = new Gauge({
      name: 'waverify_client_webhook_oldest_pending_seconds',
      help: 'Age of the oldest pending client webhook in seconds (0 when none), computed at scrape time.',
      registers,
    });
    this.inboxPending = new Gauge({
      name: 'waverify_inbox_pending',
      help: 'Provider notifications stored but not yet processed (pending in the inbox), computed at scrape time.',
      registers,
    });
    this.rateLimited = new Counter({
      name: 'waverify_rate_limited_total',
      help: 'Requests refused with 429 rate_limited, by limiter (api-key, auth-failure, phone-15m, phone-day).',
      labelNames: ['limit'],
      registers,
    });
    this.fraudBlocks = new Counter({
      name: 'waverify_fraud_blocks_total',
      help: 'Creations refused by a fraud guard, by reason (velocity, low_conversion).',
      labelNames: ['reason'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'waverify_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern (unmatched for unknown routes) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    // Bounded series exist from the start (at 0), so rate() and the alerts work before the first event.
    for (const result of ['valid', 'invalid', 'not_pending']) this.inc(this.checks, [result], 0);
    for (const outcome of ['delivered', 'failed', 'timeout'])
      this.inc(this.clientWebhookAttempts, [outcome], 0);
    for (const reason of ['velocity', 'low_conversion']) this.inc(this.fraudBlocks, [reason], 0);
    for (const limit of Object.values(RateLimiter)) this.inc(this.rateLimited, [limit], 0);
  }

  /** The exposition (Prometheus text format). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  verificationCreated(verification: CountedVerification): void {
    if (verification.isTest) return;
    const country = countryOf(verification.phone);
    this.inc(
      this.created,
      this.appLabel
        ? [verification.flow, verification.channel, country, verification.appId]
        : [verification.flow, verification.channel, country],
    );
  }

  /** A verification reached `status` (call once per transition, after it was committed). */
  verificationCompleted(verification: CountedVerification, status: string): void {
    if (verification.isTest || !TERMINAL_STATUSES.includes(status)) return;
    const country = countryOf(verification.phone);
    this.inc(
      this.completed,
      this.appLabel
        ? [verification.flow, verification.channel, status, country, verification.appId]
        : [verification.flow, verification.channel, status, country],
    );
  }

  /** Counts the outcome of a code check and passes it through unchanged. */
  async countCheck<T extends { valid: boolean }>(check: Promise<T>): Promise<T> {
    try {
      const result = await check;
      this.checked(result.valid ? 'valid' : 'invalid');
      return result;
    } catch (error) {
      if (error instanceof DomainException && error.code === ErrorCode.VERIFICATION_NOT_PENDING)
        this.checked('not_pending');
      throw error;
    }
  }

  checked(result: CheckResult): void {
    this.inc(this.checks, [result]);
  }

  /** One send request to a provider and how long it took. */
  providerSend(provider: string, channel: string, ok: boolean, seconds: number): void {
    this.inc(this.messagesSent, [provider, channel, ok ? 'ok' : 'failed']);
    this.providerDuration.labels(provider, channel).observe(seconds);
  }

  deliveryStatus(channel: string, status: string): void {
    this.inc(this.deliveryStatuses, [channel, status]);
  }

  /** A verified provider webhook: its new and duplicate events. */
  providerWebhookAccepted(provider: string, accepted: number, duplicates: number): void {
    if (accepted > 0) this.inc(this.providerWebhooks, [provider, 'accepted'], accepted);
    if (duplicates > 0) this.inc(this.providerWebhooks, [provider, 'duplicate'], duplicates);
  }

  providerWebhookRejected(provider: string): void {
    this.inc(this.providerWebhooks, [provider, 'invalid_signature']);
  }

  /** One POST to a client webhook URL; `error` as WebhookHttpClient reports it (null on a 2xx). */
  clientWebhookAttempt(error: string | null): void {
    const outcome: ClientWebhookOutcome =
      error === null ? 'delivered' : error.startsWith('timeout') ? 'timeout' : 'failed';
    this.inc(this.clientWebhookAttempts, [outcome]);
  }

  setBacklog(backlog: Backlog): void {
    this.clientWebhookPending.set(backlog.clientWebhookPending);
    this.clientWebhookOldest.set(backlog.clientWebhookOldestPendingSeconds);
    this.inboxPending.set(backlog.inboxPending);
  }

  rateLimitedBy(limit: string): void {
    this.inc(this.rateLimited, [limit]);
  }

  fraudBlocked(reason: FraudBlockReason): void {
    this.inc(this.fraudBlocks, [reason]);
  }

  /** One HTTP request; `route` is the route pattern (`/v1/verifications/:id`) or undefined when none matched. */
  httpRequest(
    method: string,
    route: string | undefined,
    statusCode: number,
    seconds: number,
  ): void {
    this.httpDuration
      .labels(
        HTTP_METHODS.has(method) ? method : 'OTHER',
        route ?? UNMATCHED_ROUTE,
        String(statusCode),
      )
      .observe(seconds);
  }

  private inc(counter: Counter<string>, values: string[], by = 1): void {
    let byValues = this.children.get(counter);
    if (!byValues) {
      byValues = new Map();
      this.children.set(counter, byValues);
    }
    const key = values.join('\u0000');
    let child = byValues.get(key);
    if (!child) {
      child = counter.labels(...values);
      byValues.set(key, child);
    }
    child.inc(by);
  }
}

/** ISO 3166 alpha-2 of an E.164 number, or `ZZ`: never the number itself. */
export function countryOf(phone: string | null): string {
  const country = countryOfE164(phone);
  return country && /^[A-Z]{2}$/.test(country) ? country : UNKNOWN_COUNTRY;
}
