import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { execute, isUniqueViolation } from '../database/sql';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';

/** The breaker of one app's endpoint as the dispatcher sees it before a round. */
export type EndpointState =
  { kind: 'closed' } | { kind: 'parked'; until: number } | { kind: 'half-open'; trips: number };

/** A half-open probe this instance claimed: only it may send, and only it may re-park or close on its outcome. */
export interface ProbeClaim {
  appId: string;
  urlHash: string;
  token: string;
  /** Parkings in a row before this probe (the next cool-down grows from it). */
  trips: number;
}

/** SHA-256 of the URL: the breaker's state belongs to the URL it was measured on. */
export function endpointKey(url: string): string {
  return createHash('sha256').update(url, 'utf8').digest('hex');
}

/** Cool-down of the `trips`-th parking in a row: `base`, doubling each time, at most `max`. */
export function cooldownMs(trips: number, baseMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(trips - 1, 0), 30);
  return Math.min(baseMs * 2 ** doublings, Math.max(baseMs, maxMs));
}

/**
 * Circuit breaker per app webhook endpoint, kept in `webhook_endpoints` so every instance sees the
 * same state. After `WEBHOOK_BREAKER_FAILURES` failed attempts in a row the endpoint is parked for a
 * cool-down (WEBHOOK_BREAKER_COOLDOWN, doubling per failed probe up to WEBHOOK_BREAKER_MAX_COOLDOWN):
 * none of its deliveries is leased meanwhile. Once the cool-down has passed one instance claims the
 * probe (a conditional UPDATE that also pushes `parked_until` past the probe's lease, so nobody else
 * sends), sends one delivery, and closes the breaker on success or parks it longer on failure. A
 * probe lost with its instance (kill -9) simply lets `parked_until` pass again.
 *
 * Every transition is one conditional UPDATE checked by affected rows; the state is advisory (it
 * decides what is sent, never what was delivered), so it is written outside the delivery's
 * transaction and a failure to write it is only logged by the caller.
 */
@Injectable()
export class WebhookCircuitBreaker {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The breakers that are not closed, by app (one indexed query: parked endpoints are few). */
  async openEndpoints(): Promise<Map<string, WebhookEndpoint>> {
    const rows = await this.dataSource
      .getRepository(WebhookEndpoint)
      .createQueryBuilder('e')
      // `> 0` rather than IS NOT NULL: the same meaning (instants are positive), and SQLite then uses the index.
      .where('e.parked_until > 0')
      .getMany();
    return new Map(rows.map((row) => [row.appId, row]));
  }

  /** What the breaker allows for the app's current URL now. */
  stateOf(open: WebhookEndpoint | undefined, url: string | null, now: number): EndpointState {
    if (!open || open.parkedUntil === null || url === null) return { kind: 'closed' };
    if (open.urlHash !== endpointKey(url)) return { kind: 'closed' };
    return open.parkedUntil > now
      ? { kind: 'parked', until: open.parkedUntil }
      : { kind: 'half-open', trips: open.trips };
  }

  /** Claims the half-open probe of the endpoint until `until`; null when another instance has it. */
  async claimProbe(
    appId: string,
    url: string,
    trips: number,
    until: number,
    token: string,
  ): Promise<ProbeClaim | null> {
    const urlHash = endpointKey(url);
    const now = this.clock.now();
    const won = await execute(
      this.dataSource.manager,
      'UPDATE webhook_endpoints SET parked_until = ?, probe_token = ?, updated_at = ? WHERE app_id = ? AND url_hash = ? AND parked_until IS NOT NULL AND parked_until <= ?',
      [until, token, now, appId, urlHash, now],
    );
    return won === 1 ? { appId, urlHash, token, trips } : null;
  }

  /** Hands an unused probe back (nothing was sent): the endpoint is half-open again at once. */
  async releaseProbe(probe: ProbeClaim): Promise<void> {
    const now = this.clock.now();
    await execute(
      this.dataSource.manager,
      'UPDATE webhook_endpoints SET parked_until = ?, probe_token = NULL, updated_at = ? WHERE app_id = ? AND probe_token = ?',
      [now, now, probe.appId, probe.token],
    );
  }

  /** A 2xx from the endpoint: the breaker closes (a no-op write when it already was). */
  async recordSuccess(appId: string, url: string): Promise<void> {
    await execute(
      this.dataSource.manager,
      `UPDATE webhook_endpoints SET consecutive_failures = 0, trips = 0, parked_until = NULL, probe_token = NULL, updated_at = ?
       WHERE app_id = ? AND url_hash = ? AND (consecutive_failures > 0 OR parked_until IS NOT NULL)`,
      [this.clock.now(), appId, endpointKey(url)],
    );
  }

  /**
   * A failed attempt (not a probe). Counts it, starting afresh when the app's URL changed, and parks
   * the endpoint when this failure is the K-th in a row. Returns the time it was parked until, if so.
   */
  async recordFailure(appId: string, url: string): Promise<number | null> {
    const urlHash = endpointKey(url);
    const now = this.clock.now();
    const manager = this.dataSource.manager;
    const counted =
      (await execute(
        manager,
        'UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, updated_at = ? WHERE app_id = ? AND url_hash = ?',
        [now, appId, urlHash],
      )) === 1 ||
      (await execute(
        manager,
        'UPDATE webhook_endpoints SET url_hash = ?, consecutive_failures = 1, trips = 0, parked_until = NULL, probe_token = NULL, updated_at = ? WHERE app_id = ? AND url_hash <> ?',
        [urlHash, now, appId, urlHash],
      )) === 1;
    if (!counted) {
      try {
        await manager.insert(WebhookEndpoint, {
          appId,
          urlHash,
          consecutiveFailures: 1,
          trips: 0,
          parkedUntil: null,
          probeToken: null,
          updatedAt: now,
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return this.recordFailure(appId, url);
      }
    }
    const { breakerFailures, breakerCooldownMs, breakerMaxCooldownMs } =
      this.config.webhookDispatch;
    const until = now + cooldownMs(1, breakerCooldownMs, breakerMaxCooldownMs);
    const parked = await execute(
      manager,
      'UPDATE webhook_endpoints SET trips = 1, parked_until = ?, updated_at = ? WHERE app_id = ? AND url_hash = ? AND parked_until IS NULL AND consecutive_failures >= ?',
      [until, now, appId, urlHash, breakerFailures],
    );
    return parked === 1 ? until : null;
  }

  /** The probe failed: the endpoint is parked again for the next, longer cool-down. Returns until when. */
  async recordProbeFailure(probe: ProbeClaim): Promise<number> {
    const now = this.clock.now();
    const trips = probe.trips + 1;
    const { breakerCooldownMs, breakerMaxCooldownMs } = this.config.webhookDispatch;
    const until = now + cooldownMs(trips, breakerCooldownMs, breakerMaxCooldownMs);
    await execute(
      this.dataSource.manager,
      'UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, trips = ?, parked_until = ?, probe_token = NULL, updated_at = ? WHERE app_id = ? AND probe_token = ?',
      [trips, until, now, probe.appId, probe.token],
    );
    return until;
  }
}
