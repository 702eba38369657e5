import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { context as traceContext, Context as TraceContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { BackgroundFailureLog, isDatabaseUnavailable } from '../database/database-unavailable';
import {
  currentRequestId,
  runInRequestContext,
  runOutsideRequestContext,
} from '../logging/request-context';
import { newId } from '../common/ids';
import { AppConfig, DatabaseConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { INBOX_LEASE_MS } from '../config/timeouts';
import { ProviderEvent } from '../providers/messaging-provider';
import { DeliveryStatusHandler, RetryLaterError } from './delivery-status.handler';
import { InboundEvent, InboundEventStatus } from './entities/inbound-event.entity';
import { InboxRepository } from './inbox.repository';
import { InboxCompletion, InboundMessageHandler } from './inbound-message.handler';

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

/**
 * The lease an event is inserted with when it goes straight to this instance's queue, and what the
 * worker needs of it (it is not read back).
 */
interface BornLease {
  token: string;
  /** Until then the lease covers a whole processing ({@link INBOX_LEASE_MS}): no claim needed. */
  usableUntil: number;
  payload: InboxPayload;
}

interface QueuedEvent {
  id: string;
  reqId?: string;
  trace: TraceContext;
  born?: BornLease;
}

/**
 * How long an event inserted with its lease may wait in the queue and still be processed without a
 * claim: its lease is {@link INBOX_LEASE_MS} plus this, so what is left of it covers a whole
 * processing, as a fresh claim's does. Past it (a long backlog) the worker claims it as usual.
 */
export const BORN_LEASE_GRACE_MS = 10_000;
/** Batches one poll takes at most (the next poll continues), so a tick stays short whatever the backlog. */
const MAX_BATCHES_PER_POLL = 10;
/**
 * Events processed at once in the background per instance on MariaDB/MySQL: half the pool
 * (DATABASE_POOL_SIZE). Each holds one or two pooled connections while it runs, so the workers can
 * neither take the whole pool from requests (the webhooks that bring the events among them) nor
 * wait on one another for a second connection; unbounded, a burst of webhooks queued thousands of
 * handlers on the pool (its queue limit then refused the webhooks themselves with 503) and held
 * their payloads in memory. An event waits on about six round trips and the reply's HTTP call,
 * so throughput is workers ÷ that latency until the CPU is the limit: with 4 workers a third or more
 * of a 2-core machine sat idle while the inbound bench's backlog drained (docs/benchmarks.md).
 * SQLite has one connection, whose transactions must not interleave: one worker there.
 */
export function inboxWorkers(database: DatabaseConfig): number {
  return database.type === 'mysql' ? Math.max(1, Math.floor(database.poolSize / 2)) : 1;
}
/** New events waiting for a worker at most; beyond that they stay in the table for the poll. */
export const INBOX_QUEUE_MAX = 1_000;
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
  /**
   * New events waiting for a worker (bounded by INBOX_QUEUE_MAX), with the request that accepted
   * each: its id (log lines, audit events) and trace context go on the processing.
   */
  private readonly queue: QueuedEvent[] = [];
  private workers = 0;
  private readonly maxWorkers: number;
  /** Some accepted events did not fit the queue: workers refill it from the table when it runs dry. */
  private overflowed = false;
  /** Places in the queue taken by events being inserted (see accept). */
  private reserved = 0;
  private refilling = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxRepository,
    private readonly messages: InboundMessageHandler,
    private readonly statuses: DeliveryStatusHandler,
    private readonly clock: Clock,
  ) {
    this.maxWorkers = inboxWorkers(config.database);
  }

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
    // Events still queued here hold the lease they were inserted with: hand them to the other
    // instances (or the next start) now rather than when the lease runs out.
    await this.releaseBornLeases(this.queue.splice(0));
  }

  /** Gives back the leases `events` were inserted with (they will not be processed here). */
  private async releaseBornLeases(events: { id: string; born?: BornLease }[]): Promise<void> {
    const leases = events.flatMap(({ id, born }) => (born ? [{ id, token: born.token }] : []));
    if (leases.length === 0) return;
    await this.inbox
      .releaseLeases(leases)
      .catch((error: unknown) =>
        this.failures.report('Inbox leases not released at shutdown', error),
      );
  }

  /**
   * Stores the events and queues the new ones for the background workers (provider webhooks answer
   * at once). An event that fits the queue is inserted already leased to this instance, so its
   * worker skips the claim (one round trip per event); if the instance dies first, the event waits
   * for the lease to run out (INBOX_LEASE_MS plus BORN_LEASE_GRACE_MS), as a claimed one does. When
   * the queue is full the rest wait in the table, due now and unleased, for the next poll.
   */
  async accept(events: ProviderEvent[], actor: Actor): Promise<AcceptedEvents> {
    // Places in the queue are reserved before the inserts, so concurrent webhooks cannot overfill it.
    const room = this.stopping
      ? 0
      : Math.min(events.length, Math.max(0, INBOX_QUEUE_MAX - this.queue.length - this.reserved));
    this.reserved += room;
    let stored: Awaited<ReturnType<InboxService['store']>>;
    try {
      stored = await this.store(events, actor, room);
    } finally {
      this.reserved -= room;
    }
    if (this.stopping) {
      // Shut down while these were inserted: no worker here will take them.
      await this.releaseBornLeases(stored.rows);
      return { ids: stored.rows.map((row) => row.id), duplicates: stored.duplicates };
    }
    const reqId = currentRequestId();
    const trace = traceContext.active();
    for (const { id, born } of stored.rows) {
      if (!born) {
        this.overflowed = true;
        continue;
      }
      this.queue.push({ id, reqId, trace, born });
    }
    while (this.workers < this.maxWorkers && this.queue.length > 0) {
      this.workers += 1;
      // A worker serves events of many requests: it runs outside this one's context.
      this.track(
        runOutsideRequestContext(() => this.drainQueue()).finally(() => {
          this.workers -= 1;
        }),
      );
    }
    return { ids: stored.rows.map((row) => row.id), duplicates: stored.duplicates };
  }

  /** Work on the queue and its size, for tests and diagnostics. */
  get backlog(): { queued: number; workers: number } {
    return { queued: this.queue.length, workers: this.workers };
  }

  private async drainQueue(): Promise<void> {
    while (!this.stopping) {
      const next = this.queue.shift() ?? (await this.refill());
      if (next === undefined) return;
      try {
        const { id, reqId, trace, born } = next;
        await traceContext.with(trace, () =>
          reqId === undefined
            ? this.processOne(id, born)
            : runInRequestContext({ reqId }, () => this.processOne(id, born)),
        );
      } catch (error) {
        // The event stays pending (its lease runs out): a later poll retries it.
        this.failures.report(
          `Inbox processing failed: ${error instanceof Error ? error.name : 'unknown error'}`,
          error,
          'error',
        );
      }
    }
  }

  /** Stores the events and processes the new ones before returning (the sandbox shows the result at once). */
  async acceptAndProcess(events: ProviderEvent[], actor: Actor): Promise<AcceptedEvents> {
    const stored = await this.store(events, actor, events.length);
    for (const { id, born } of stored.rows) {
      if (this.stopping) break;
      await this.processOne(id, born);
    }
    return { ids: stored.rows.map((row) => row.id), duplicates: stored.duplicates };
  }

  /** After an overflow: the next due events from the table into the empty queue (one worker at a time). */
  private async refill(): Promise<QueuedEvent | undefined> {
    if (!this.overflowed || this.refilling) return undefined;
    this.refilling = true;
    try {
      const ids = await this.inbox.findDueIds(this.clock.now(), BATCH);
      if (ids.length < BATCH) this.overflowed = false;
      this.queue.push(...ids.map((id) => ({ id, trace: ROOT_CONTEXT })));
    } finally {
      this.refilling = false;
    }
    return this.queue.shift();
  }

  /** One pass over due events, a bounded number of batches (also what the timer runs). */
  async pollOnce(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_POLL && !this.stopping; batch++) {
        const ids = await this.inbox.findDueIds(this.clock.now(), BATCH);
        await this.processConcurrently(ids);
        if (ids.length < BATCH) break;
      }
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

  /** Inserts the events; the first `leased` new ones with a lease for this instance (see accept). */
  private async store(
    events: ProviderEvent[],
    actor: Actor,
    leased: number,
  ): Promise<{ rows: { id: string; born?: BornLease }[]; duplicates: number }> {
    const rows: { id: string; born?: BornLease }[] = [];
    let duplicates = 0;
    for (const event of events) {
      const now = this.clock.now();
      const payload: InboxPayload = { event, actor };
      const born: BornLease | undefined =
        rows.length < leased
          ? { token: newLeaseToken(), usableUntil: now + BORN_LEASE_GRACE_MS, payload }
          : undefined;
      const row: InboundEvent = {
        id: newId(),
        provider: event.provider,
        kind: event.kind,
        dedupeKey: dedupeKeyOf(event),
        payload: JSON.stringify(payload),
        status: InboundEventStatus.PENDING,
        attempts: 0,
        nextAttemptAt: now,
        lockedUntil: born ? now + INBOX_LEASE_MS + BORN_LEASE_GRACE_MS : null,
        leaseToken: born?.token ?? null,
        lastError: null,
        createdAt: now,
        processedAt: null,
      };
      if (await this.inbox.insertIfNew(row)) rows.push({ id: row.id, born });
      else duplicates += 1;
    }
    return { rows, duplicates };
  }

  /** The ids by as many workers as the engine allows (each event still claimed under its own lease). */
  private async processConcurrently(ids: string[]): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.maxWorkers, ids.length) }, async () => {
        while (next < ids.length && !this.stopping) await this.processOne(ids[next++]);
      }),
    );
  }

  /**
   * Claims the event under a fresh lease token (or leaves it to whoever holds it) and processes it
   * once. An event inserted with its lease (`born`) and picked up within the grace is processed
   * under that lease without a claim; picked up later, it is claimed like any other (its own lease
   * renewed). The outcome is written only while the token still holds the lease: a worker that
   * overran its lease (and was taken over) writes nothing.
   */
  private async processOne(id: string, born?: BornLease): Promise<void> {
    const claimed =
      born && this.clock.now() <= born.usableUntil
        ? { lease: born.token, attempts: 0, kind: born.payload.event.kind, payload: born.payload }
        : await this.claim(id, born?.token ?? null);
    if (!claimed) return;
    const { lease, payload } = claimed;
    const row = { kind: claimed.kind, attempts: claimed.attempts };
    let written: number;
    try {
      // A confirmation marks the event processed in the transaction that records its reply
      // (whether the lease still held is then not known here: a taken-over lease matches nothing).
      const completion: InboxCompletion = {
        write: () =>
          this.inbox.markProcessedStatement(id, lease, redact(payload), this.clock.now()),
        written: false,
      };
      if (payload.event.kind === 'message')
        await this.messages.handle(payload.event, payload.actor, row.attempts === 0, completion);
      else await this.statuses.handle(payload.event, payload.actor, row.attempts);
      written = completion.written
        ? 1
        : await this.inbox.markProcessed(id, lease, redact(payload), this.clock.now());
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

  /** The claim of an event (null: someone else holds it, or its payload is unreadable and it failed). */
  private async claim(
    id: string,
    heldToken: string | null,
  ): Promise<{ lease: string; attempts: number; kind: string; payload: InboxPayload } | null> {
    const lease = newLeaseToken();
    const row = await this.inbox.claimAndRead(
      id,
      this.clock.now(),
      INBOX_LEASE_MS,
      lease,
      heldToken,
    );
    if (!row || row.leaseToken !== lease) return null;
    try {
      const payload = JSON.parse(row.payload) as InboxPayload;
      return { lease, attempts: row.attempts, kind: row.kind, payload };
    } catch {
      await this.inbox.recordFailure(id, lease, row.attempts + 1, 'unreadable payload', null, '{}');
      return null;
    }
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

function newLeaseToken(): string {
  return randomBytes(16).toString('hex');
}

/** The payload kept after processing: no message text (it may hold the token). */
function redact(payload: InboxPayload): string {
  const event = payload.event.kind === 'message' ? { ...payload.event, text: null } : payload.event;
  return JSON.stringify({ event, actor: payload.actor });
}
