import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sha256Hex } from '../common/crypto';
import { DomainException, ErrorCode } from '../common/errors';
import { newId } from '../common/ids';
import { execute, isUniqueViolation } from '../database/sql';
import { IdempotencyKey } from './entities/idempotency-key.entity';
import { Verification } from './entities/verification.entity';

const TTL_MS = 24 * 3600 * 1000;

/**
 * `Idempotency-Key` for creations: the key row is inserted in the same transaction as the
 * verification, so two concurrent requests with one key create one verification and one message.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The verification an earlier request with this key created, or null; 409 when the body differs. */
  async find(appId: string, key: string, body: unknown): Promise<Verification | null> {
    const row = await this.dataSource.getRepository(IdempotencyKey).findOneBy({ appId, keyHash: sha256Hex(key) });
    if (!row) return null;
    if (row.expiresAt <= this.clock.now()) {
      await execute(this.dataSource.manager, 'DELETE FROM idempotency_keys WHERE id = ? AND expires_at <= ?', [row.id, this.clock.now()]);
      return null;
    }
    if (row.requestHash !== requestHash(body)) {
      throw new DomainException(ErrorCode.IDEMPOTENCY_CONFLICT, 'This Idempotency-Key was used with a different request body');
    }
    return this.dataSource.getRepository(Verification).findOneBy({ id: row.verificationId, appId });
  }

  /**
   * Runs `work` in a transaction that also claims the key (when given). Returns false, with nothing
   * written, when another request claimed the same key first.
   */
  async run(appId: string, key: string | undefined, body: unknown, verificationId: string, work: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (manager) => {
        if (key) {
          const now = this.clock.now();
          await manager.insert(IdempotencyKey, {
            id: newId(),
            appId,
            keyHash: sha256Hex(key),
            requestHash: requestHash(body),
            verificationId,
            createdAt: now,
            expiresAt: now + TTL_MS,
          });
        }
        await work(manager);
      });
      return true;
    } catch (error) {
      if (key && isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Removes expired keys in small batches; returns how many were removed. */
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
