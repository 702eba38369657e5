import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomSecret, sha256Hex } from '../common/crypto';
import { notFound } from '../common/errors';
import { newId } from '../common/ids';
import { findEntitiesJoined } from '../database/entity-sql';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKey } from './entities/api-key.entity';
import { App } from './entities/app.entity';

export interface IssuedApiKey {
  id: string;
  apiKey: string;
}

/** Keys remembered per instance at most (the oldest go first); unknown keys are never remembered. */
export const API_KEY_CACHE_MAX_ENTRIES = 10_000;

interface CachedKey {
  app: App;
  apiKeyId: string;
  /** performance.now() after which the key is looked up again. */
  until: number;
}

/**
 * API keys: random, shown once, stored as SHA-256, looked up by hash. A found key (with its app) is
 * reused for API_KEY_CACHE_TTL: the look-up was one statement of every API request. Revoking a key
 * or changing its app through this instance forgets it at once; other instances (and the CLI, a
 * process of its own) are bounded by the TTL.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, CachedKey>();
  /** Moves on every forget(): a look-up that started before one is not cached (it may be stale). */
  private generation = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The app of an active key: from this instance's cache when looked up less than the TTL ago, else one indexed look-up by hash. */
  async authenticate(key: string): Promise<{ app: App; apiKeyId: string } | null> {
    const hash = sha256Hex(key);
    const ttl = this.config.apiKeyCacheTtlMs;
    const now = performance.now();
    const cached = ttl > 0 ? this.cache.get(hash) : undefined;
    if (cached && cached.until > now) return { app: cached.app, apiKeyId: cached.apiKeyId };
    const generation = this.generation;
    const found = await this.lookUp(hash);
    if (ttl > 0 && generation === this.generation) {
      this.cache.delete(hash);
      if (found) {
        if (this.cache.size >= API_KEY_CACHE_MAX_ENTRIES)
          this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(hash, { ...found, until: now + ttl });
      }
    }
    return found;
  }

  /** Forgets the cached look-ups of one key, or of every key of an app (its settings changed). */
  forget(match: { apiKeyId: string } | { appId: string }): void {
    this.generation += 1;
    for (const [hash, entry] of this.cache) {
      if ('apiKeyId' in match ? entry.apiKeyId === match.apiKeyId : entry.app.id === match.appId)
        this.cache.delete(hash);
    }
  }

  private async lookUp(hash: string): Promise<{ app: App; apiKeyId: string } | null> {
    const [found] = await findEntitiesJoined(
      this.dataSource.manager,
      App,
      {
        extra: 'k.id AS api_key_id',
        join: 'JOIN api_keys k ON k.app_id = t.id',
        where: 'k.key_hash = ? AND k.revoked_at IS NULL',
      },
      [hash],
    );
    return found ? { app: found.entity, apiKeyId: String(found.row.api_key_id) } : null;
  }

  /** Issues a key inside the caller's transaction; `key` may be given (the development default app keeps its key). */
  async issue(
    manager: EntityManager,
    appId: string,
    actor: Actor,
    key = `wav_${randomSecret(32)}`,
  ): Promise<IssuedApiKey> {
    const row = manager.create(ApiKey, {
      id: newId(),
      appId,
      keyHash: sha256Hex(key),
      keyPrefix: key.slice(0, 12),
      createdAt: this.clock.now(),
      revokedAt: null,
    });
    await manager.insert(ApiKey, row);
    await this.audit.record(
      {
        type: 'api_key.created',
        appId,
        actor,
        data: { apiKeyId: row.id, prefix: row.keyPrefix.slice(0, 8) },
      },
      manager,
    );
    return { id: row.id, apiKey: key };
  }

  async create(appId: string, actor: Actor): Promise<IssuedApiKey> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await manager.existsBy(App, { id: appId }))) throw notFound('App');
      return this.issue(manager, appId, actor);
    });
  }

  async revoke(appId: string, keyId: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        ApiKey,
        { id: keyId, appId, revokedAt: IsNull() },
        { revokedAt: this.clock.now() },
      );
      if (!result.affected) throw notFound('API key');
      await this.audit.record(
        { type: 'api_key.revoked', appId, actor, data: { apiKeyId: keyId } },
        manager,
      );
    });
    this.forget({ apiKeyId: keyId });
  }

  async listActive(appId: string): Promise<ApiKey[]> {
    return this.dataSource
      .getRepository(ApiKey)
      .find({ where: { appId, revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }
}
