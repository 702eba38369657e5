import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { BackgroundFailureLog, isDatabaseUnavailable } from '../database/database-unavailable';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { INBOX_LEASE_MS } from '../config/timeouts';
import { ProviderEvent } from '../providers/messaging-provider';
import { DeliveryStatusHandler, RetryLaterError } from './delivery-status.handler';
import { InboundEvent, InboundEventStatus } from './entities/inbound-event.entity';
import { InboxRepository } from './inbox.repository';
import { InboundMessageHandler } from './inbound-message.handler';

/** What the inbox keeps of a notification: the typed event and who delivered it. */
interface InboxPayload {
  event: ProviderEvent;
  actor: Actor;
}

export interface AcceptedEvents {
  /** Inbox ids of the events that were new. */
  ids: string[];
  /** Events already in the inbox (a redelivery). */
  duplicates: number;
}

const BATCH = 20;
export const MAX_INBOX_ATTEMPTS = 10;
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 60 * 60_000;

/** Delay before attempt `attempts + 1`: 5 s, 10 s, 20 s, … capped at an hour. */
export function inboxBackoffMs(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

/** The dedupe key of an event: one row per provider message, one per (message, status). */
export function dedupeKeyOf(event: ProviderEvent): string {
  const key =
    event.kind === 'message'
      ? `${event.provider}:message:${event.messageId}`
      : `${event.provider}:status:${event.messageId}:${event.status}`;
  return key.slice(0, 191);
}

/**
 * Inbox of provider notifications: stores each verified event once (the unique dedupe key makes a
 * redelivery a no-op), processes it right away in the background, and retries failures with
 * backoff from a periodic poll. An event is processed by one worker at a time (a lease taken with
 * a conditional UPDATE), so several instances can share the inbox.
 */
@Injectable()
export class InboxService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InboxService.name);
  private readonly failures = new BackgroundFailureLog(this.logger);
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxRepository,
    private readonly messages: InboundMessageHandler,
    private readonly statuses: DeliveryStatusHandler,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.backgroundJobs) return;
    this.timer = setInterval(() => this.track(this.pollOnce()), this.config.inboundRetryIntervalMs);
    this.timer.unref();
  }

  /** Stops the poll and waits for the work under way (the database closes after this). */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Stores the events and processes the new ones in the background (provider webhooks answer at once). */
  async accept(events: ProviderEvent[], actor: Actor): Promise<AcceptedEvents> {
    const accepted = await this.store(events, actor);
    if (accepted.ids.length > 0) this.track(this.processAll(accepted.ids));
    return accepted;
  }

  /** Stores the events and processes the new ones before returning (the sandbox shows the result at once). */
  async acceptAndProcess(events: ProviderEvent[], actor: Actor): Promise<AcceptedEvents> {
    const accepted = await this.store(events, actor);
    await this.processAll(accepted.ids);
    return accepted;
  }

  /** One pass over due events (also what the timer runs). */
  async pollOnce(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      await this.processAll(await this.inbox.findDueIds(this.clock.now(), BATCH));
    } catch (error) {
      this.failures.report(
        `Inbox poll failed: ${error instanceof Error ? error.name : 'unknown error'}`,
        error,
        'error',
      );
    } finally {
      this.polling = false;
    }
  }

  private async store(events: ProviderEvent[], actor: Actor): Promise<AcceptedEvents> {
    const ids: string[] = [];
    let duplicates = 0;
    for (const event of events) {
      const now = this.clock.now();
      const row: InboundEvent = {
        id: newId(),
        provider: event.provider,
        kind: event.kind,
        dedupeKey: dedupeKeyOf(event),
        payload: JSON.stringify({ event, actor } satisfies InboxPayload),
        status: InboundEventStatus.PENDING,
        attempts: 0,
        nextAttemptAt: now,
        lockedUntil: null,
        leaseToken: null,
        lastError: null,
        createdAt: now,
        processedAt: null,
      };
      if (await this.inbox.insertIfNew(row)) ids.push(row.id);
      else duplicates += 1;
    }
    return { ids, duplicates };
  }

  private async processAll(ids: string[]): Promise<void> {
    for (const id of ids) {
      if (this.stopping) return;
      await this.processOne(id);
    }
  }

  /**
   * Claims the event under a fresh lease token (or leaves it to whoever holds it) and processes it
   * once. The outcome is written only while the token still holds the lease: a worker that overran
   * its lease (and was taken over) writes nothing.
   */
  private async processOne(id: string): Promise<void> {
    const lease = randomBytes(16).toString('hex');
    if ((await this.inbox.claim(id, this.clock.now(), INBOX_LEASE_MS, lease)) !== 1) return;
    const row = await this.inbox.findById(id);
    if (!row || row.leaseToken !== lease) return;
    let payload: InboxPayload;
    try {
      payload = JSON.parse(row.payload) as InboxPayload;
    } catch {
      await this.inbox.recordFailure(id, lease, row.attempts + 1, 'unreadable payload', null, '{}');
      return;
    }
    let written: number;
    try {
      if (payload.event.kind === 'message')
        await this.messages.handle(payload.event, payload.actor, row.attempts === 0);
      else await this.statuses.handle(payload.event, payload.actor, row.attempts);
      written = await this.inbox.markProcessed(id, lease, redact(payload), this.clock.now());
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // Not the event's fault: no attempt is spent, the lease runs out and a later poll retries it.
        this.failures.report(`Inbox event ${id} (${row.kind}) postponed`, error);
        return;
      }
      const attempts = row.attempts + 1;
      const giveUp = attempts >= MAX_INBOX_ATTEMPTS;
      const reason =
        error instanceof RetryLaterError
          ? error.message
          : `${error instanceof Error ? error.name : 'unknown error'} while processing`;
      if (!(error instanceof RetryLaterError)) {
        this.logger.warn(
          `Inbox event ${id} (${row.kind}) failed on attempt ${attempts}: ${reason}`,
        );
      }
      written = await this.inbox.recordFailure(
        id,
        lease,
        attempts,
        reason,
        giveUp ? null : this.clock.now() + inboxBackoffMs(attempts),
        redact(payload),
      );
    }
    if (written !== 1)
      this.logger.warn(`Inbox event ${id}: lease lost while processing; result not recorded`);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.failures.report(
        `Inbox processing failed: ${error instanceof Error ? error.name : 'unknown error'}`,
        error,
        'error',
      );
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

/** The payload kept after processing: no message text (it may hold the token). */
function redact(payload: InboxPayload): string {
  const event = payload.event.kind === 'message' ? { ...payload.event, text: null } : payload.event;
  return JSON.stringify({ event, actor: payload.actor });
}
