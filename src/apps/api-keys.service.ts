import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomSecret, sha256Hex } from '../common/crypto';
import { notFound } from '../common/errors';
import { newId } from '../common/ids';
import { findEntitiesJoined } from '../database/entity-sql';
import { ApiKey } from './entities/api-key.entity';
import { App } from './entities/app.entity';

export interface IssuedApiKey {
  id: string;
  apiKey: string;
}

/** API keys: random, shown once, stored as SHA-256, looked up by hash, revoked at once. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** One indexed look-up by hash on every request; revoked keys never match, so revocation is immediate. */
  async authenticate(key: string): Promise<{ app: App; apiKeyId: string } | null> {
    const [found] = await findEntitiesJoined(
      this.dataSource.manager,
      App,
      {
        extra: 'k.id AS api_key_id',
        join: 'JOIN api_keys k ON k.app_id = t.id',
        where: 'k.key_hash = ? AND k.revoked_at IS NULL',
      },
      [sha256Hex(key)],
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
  }

  async listActive(appId: string): Promise<ApiKey[]> {
    return this.dataSource
      .getRepository(ApiKey)
      .find({ where: { appId, revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }
}
