import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { PeriodicTask } from '../common/periodic-task';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CREATION_SEND_WINDOW_MS } from '../config/timeouts';
import { sha256Hex } from '../common/crypto';
import { DomainException, ErrorCode } from '../common/errors';
import { newId } from '../common/ids';
import { insertEntities } from '../database/entity-sql';
import { execute, isUniqueViolation } from '../database/sql';
import { IdempotencyKey } from './entities/idempotency-key.entity';
import { Verification } from './entities/verification.entity';

const TTL_MS = 24 * 3600 * 1000;
/**
 * The claim is written in the transaction that stores the verification, so a claim without its
 * verification is only ever seen from an instance of an older release (which claimed before
 * sending); after the longest a send can take it belongs to a request that died.
 */
const STALE_CLAIM_MS = CREATION_SEND_WINDOW_MS;
const CLAIM_POLLS = 50;
const CLAIM_POLL_MS = 200;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * `Idempotency-Key` for creations: the key is claimed (a unique row) in the transaction that stores
 * the verification, before the code is sent, so two concurrent requests with one key create one
 * verification and send one message, and a retry after a crash mid-send gets the stored one.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnModuleDestroy {
  /** Expired keys are also dropped lazily when reused; this keeps the table small. */
  private readonly purger = new PeriodicTask(
    'Idempotency key purge',
    PURGE_INTERVAL_MS,
    () => this.purgeExpired(),
    new Logger('Idempotency'),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'backgroundJobs'>,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.backgroundJobs) this.purger.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.purger.stop();
  }

  /**
   * The verification an earlier request with this key created, or null when the key is new (or its
   * claim went stale); 409 when the body differs.
   */
  async find(appId: string, key: string, body: unknown): Promise<Verification | null> {
    const row = await this.dataSource
      .getRepository(IdempotencyKey)
      .findOneBy({ appId, keyHash: sha256Hex(key) });
    if (!row) return null;
    const now = this.clock.now();
    if (row.expiresAt <= now) {
      await this.release(row.id);
      return null;
    }
    if (row.requestHash !== requestHash(body)) {
      throw new DomainException(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        'This Idempotency-Key was used with a different request body',
      );
    }
    const verification = await this.dataSource
      .getRepository(Verification)
      .findOneBy({ id: row.verificationId, appId });
    if (verification) return verification;
    if (row.createdAt <= now - STALE_CLAIM_MS) {
      // The request that claimed the key died before storing its verification.
      await this.release(row.id);
      return null;
    }
    return this.awaitClaimed(appId, key, body);
  }

  /**
   * Claims the key for `verificationId` inside the transaction that stores it (the first write, so a
   * loser has written nothing). False when another request holds the claim.
   */
  async claim(
    manager: EntityManager,
    appId: string,
    key: string,
    body: unknown,
    verificationId: string,
  ): Promise<boolean> {
    const now = this.clock.now();
    try {
      await insertEntities(manager, IdempotencyKey, [
        {
          id: newId(),
          appId,
          keyHash: sha256Hex(key),
          requestHash: requestHash(body),
          verificationId,
          createdAt: now,
          expiresAt: now + TTL_MS,
        },
      ]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * The verification of the request that holds the claim. It is stored with the claim, so it is
   * there at once; the bounded wait only covers a claim made by an older release.
   */
  async awaitClaimed(appId: string, key: string, body: unknown): Promise<Verification> {
    for (let attempt = 0; attempt < CLAIM_POLLS; attempt++) {
      const row = await this.dataSource
        .getRepository(IdempotencyKey)
        .findOneBy({ appId, keyHash: sha256Hex(key) });
      if (row && row.requestHash !== requestHash(body)) {
        throw new DomainException(
          ErrorCode.IDEMPOTENCY_CONFLICT,
          'This Idempotency-Key was used with a different request body',
        );
      }
      const verification = row
        ? await this.dataSource
            .getRepository(Verification)
            .findOneBy({ id: row.verificationId, appId })
        : null;
      if (verification) return verification;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
    throw new DomainException(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'A request with this Idempotency-Key is still in progress; retry shortly',
    );
  }

  private async release(id: string): Promise<void> {
    await execute(this.dataSource.manager, 'DELETE FROM idempotency_keys WHERE id = ?', [id]);
  }

  /** Removes expired keys, one small batch per run; returns how many were removed. */
  async purgeExpired(batchSize = 500): Promise<number> {
    const ids = await this.dataSource
      .getRepository(IdempotencyKey)
      .createQueryBuilder('k')
      .select('k.id', 'id')
      .where('k.expires_at <= :now', { now: this.clock.now() })
      .limit(batchSize)
      .getRawMany<{ id: string }>();
    if (ids.length === 0) return 0;
    await this.dataSource.getRepository(IdempotencyKey).delete(ids.map((row) => row.id));
    return ids.length;
  }
}

/** Hash of the request body with keys sorted, so key order does not matter. */
function requestHash(body: unknown): string {
  return sha256Hex(stableStringify(body));
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
