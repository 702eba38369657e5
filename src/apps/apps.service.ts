import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, MoreThan } from 'typeorm';
import { CountryBlock } from '../abuse/entities/country-block.entity';
import { Actor, SYSTEM_ACTOR } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { sha256Hex } from '../common/crypto';
import { notFound } from '../common/errors';
import { newId } from '../common/ids';
import { normalisePhone } from '../common/phone';
import { maskPhone } from '../common/phone-mask';
import { execute } from '../database/sql';
import { TestNumbers } from '../verification/test-numbers';
import { DEFAULT_TTL_SECONDS } from '../verification/verification.types';
import { WebhookUrlPolicy } from '../webhooks/webhook-url.policy';
import { newWebhookSecret } from '../webhooks/webhook-secret';
import { PREVIOUS_SECRET_GRACE_MS } from '../webhooks/webhook-signer';
import { ApiKeysService } from './api-keys.service';
import { CreateAppDto, UpdateAppDto } from './dto/app.dto';
import { ApiKey } from './entities/api-key.entity';
import { App } from './entities/app.entity';

export interface AppDetails {
  app: App;
  apiKeys: ApiKey[];
  countryBlocks: CountryBlock[];
  /** Whether the app's test numbers are honoured in this environment. */
  testNumbersActive: boolean;
}

export interface RotatedWebhookSecret {
  webhookSecret: string;
  previousSecretExpiresAt: number;
}

export interface CreatedApp extends AppDetails {
  apiKey: string;
  webhookSecret: string;
}

const DEFAULT_APP_NAME = 'Default app';

export interface AppListEntry {
  app: App;
  apiKeys: ApiKey[];
}

@Injectable()
export class AppsService {
  private readonly logger = new Logger('Apps');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly webhookUrls: WebhookUrlPolicy,
    private readonly testNumbers: TestNumbers,
  ) {}

  async create(dto: CreateAppDto, actor: Actor, presetKey?: string): Promise<CreatedApp> {
    if (dto.webhookUrl) await this.webhookUrls.assertAllowed(dto.webhookUrl);
    const now = this.clock.now();
    const id = newId();
    const app = Object.assign(new App(), {
      id,
      name: dto.name,
      webhookUrl: dto.webhookUrl ?? null,
      webhookSecret: newWebhookSecret(),
      previousWebhookSecret: null,
      previousWebhookSecretExpiresAt: null,
      brandName: dto.brandName ?? null,
      defaultLocale: dto.defaultLocale ?? 'en',
      allowedCountries: normaliseCountries(dto.allowedCountries),
      codeLength: dto.codeLength ?? 6,
      ttlSeconds: dto.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      phoneLimit15m: dto.phoneLimitPer15Minutes ?? null,
      phoneLimitDay: dto.phoneLimitPerDay ?? null,
      testNumbers: await this.testNumbers.hashForStorage(id, normaliseTestNumbers(dto.testNumbers)),
      testNumbersInProduction: dto.testNumbersInProduction === true,
      allowUsernameOnly: dto.allowUsernameOnly === true,
      createdAt: now,
      updatedAt: now,
    } satisfies App);
    const issued = await this.dataSource.transaction(async (manager) => {
      await manager.insert(App, app);
      await this.audit.record(
        {
          type: 'app.created',
          appId: app.id,
          actor,
          data: {
            name: app.name,
            allowUsernameOnly: app.allowUsernameOnly,
            ...testNumbersAudit(app),
          },
        },
        manager,
      );
      return this.apiKeys.issue(manager, app.id, actor, presetKey);
    });
    return {
      ...(await this.details(app.id)),
      apiKey: issued.apiKey,
      webhookSecret: app.webhookSecret,
    };
  }

  async details(id: string): Promise<AppDetails> {
    const app = await this.dataSource.getRepository(App).findOneBy({ id });
    if (!app) throw notFound('App');
    const [apiKeys, countryBlocks] = await Promise.all([
      this.apiKeys.listActive(id),
      this.dataSource.getRepository(CountryBlock).find({
        where: {
          appId: id,
          blockedUntil: MoreThan(this.clock.now()),
          kind: In(['velocity', 'low_conversion']),
        },
        order: { blockedUntil: 'DESC' },
      }),
    ]);
    return { app, apiKeys, countryBlocks, testNumbersActive: this.testNumbers.activeFor(app) };
  }

  /**
   * Every app, oldest first, with its active API keys (ids and prefixes only): two queries whatever
   * the number of apps. For operators (GET /v1/apps, `wa-verify apps list`); never returns a secret.
   */
  async list(): Promise<AppListEntry[]> {
    const apps = await this.dataSource.getRepository(App).find({ order: { createdAt: 'ASC' } });
    if (apps.length === 0) return [];
    const keys = await this.dataSource.getRepository(ApiKey).find({
      where: { appId: In(apps.map((app) => app.id)), revokedAt: IsNull() },
      order: { createdAt: 'ASC' },
    });
    const byApp = new Map<string, ApiKey[]>();
    for (const key of keys) byApp.set(key.appId, [...(byApp.get(key.appId) ?? []), key]);
    return apps.map((app) => ({ app, apiKeys: byApp.get(app.id) ?? [] }));
  }

  async update(id: string, dto: UpdateAppDto, actor: Actor): Promise<AppDetails> {
    if (dto.webhookUrl) await this.webhookUrls.assertAllowed(dto.webhookUrl);
    const changes: Partial<App> = { updatedAt: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.webhookUrl !== undefined) changes.webhookUrl = dto.webhookUrl;
    if (dto.brandName !== undefined) changes.brandName = dto.brandName;
    if (dto.defaultLocale !== undefined) changes.defaultLocale = dto.defaultLocale;
    if (dto.allowedCountries !== undefined)
      changes.allowedCountries = normaliseCountries(dto.allowedCountries);
    if (dto.codeLength !== undefined) changes.codeLength = dto.codeLength;
    if (dto.ttlSeconds !== undefined) changes.ttlSeconds = dto.ttlSeconds;
    if (dto.phoneLimitPer15Minutes !== undefined)
      changes.phoneLimit15m = dto.phoneLimitPer15Minutes;
    if (dto.phoneLimitPerDay !== undefined) changes.phoneLimitDay = dto.phoneLimitPerDay;
    if (dto.testNumbers !== undefined)
      changes.testNumbers = await this.testNumbers.hashForStorage(
        id,
        normaliseTestNumbers(dto.testNumbers),
      );
    if (dto.testNumbersInProduction !== undefined)
      changes.testNumbersInProduction = dto.testNumbersInProduction === true;
    if (dto.allowUsernameOnly !== undefined)
      changes.allowUsernameOnly = dto.allowUsernameOnly === true;
    await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(App, { id }, changes);
      if (!result.affected) throw notFound('App');
      const fields = Object.keys(changes).filter((field) => field !== 'updatedAt');
      await this.audit.record(
        { type: 'app.updated', appId: id, actor, data: { fields, ...testNumbersAudit(changes) } },
        manager,
      );
    });
    // Requests authenticated on this instance see the new settings at once.
    this.apiKeys.forget({ appId: id });
    return this.details(id);
  }

  /**
   * Replaces the webhook secret; the old one becomes the previous secret and keeps signing (as a second
   * signature) for 24 h, so receivers can switch without losing events. One UPDATE: the current secret
   * is copied before it is overwritten (MySQL assigns left to right, SQLite reads the old row).
   */
  async rotateWebhookSecret(id: string, actor: Actor): Promise<RotatedWebhookSecret> {
    const now = this.clock.now();
    const secret = newWebhookSecret();
    const previousSecretExpiresAt = now + PREVIOUS_SECRET_GRACE_MS;
    await this.dataSource.transaction(async (manager) => {
      const changed = await execute(
        manager,
        'UPDATE apps SET previous_webhook_secret = webhook_secret, previous_webhook_secret_expires_at = ?, webhook_secret = ?, updated_at = ? WHERE id = ?',
        [previousSecretExpiresAt, secret, now, id],
      );
      if (changed !== 1) throw notFound('App');
      await this.audit.record(
        {
          type: 'webhook_secret.rotated',
          appId: id,
          actor,
          data: { previousSecretExpiresAt: new Date(previousSecretExpiresAt).toISOString() },
        },
        manager,
      );
    });
    this.apiKeys.forget({ appId: id });
    return { webhookSecret: secret, previousSecretExpiresAt };
  }

  /**
   * Development only: makes sure a default app exists whose API key is the one kept in the data
   * folder, so a newcomer can try the API from Swagger UI at once.
   */
  async ensureDevelopmentApp(key: string): Promise<void> {
    const hash = sha256Hex(key);
    const exists = await this.dataSource
      .getRepository(ApiKey)
      .existsBy({ keyHash: hash, revokedAt: IsNull() });
    if (exists) return;
    await this.create({ name: DEFAULT_APP_NAME, brandName: 'wa-verify' }, SYSTEM_ACTOR, key);
    this.logger.log('Created the development default app');
  }
}

/** The admin's test numbers with phones in E.164 (the DTO has validated that they parse). */
function normaliseTestNumbers(
  entries: { phone: string; code: string }[] | null | undefined,
): { phone: string; code: string }[] | null {
  if (!entries) return null;
  return entries.map(({ phone, code }) => ({ phone: normalisePhone(phone)!.e164, code }));
}

/** What the audit trail says about test numbers: masked phones and the production flag, never a code or hash. */
function testNumbersAudit(app: Partial<App>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (app.testNumbers !== undefined)
    data.testNumbers = (app.testNumbers ?? []).map((entry) => maskPhone(entry.phone));
  if (app.testNumbersInProduction !== undefined)
    data.testNumbersInProduction = app.testNumbersInProduction;
  return data;
}

function normaliseCountries(countries: string[] | null | undefined): string[] | null {
  if (!countries || countries.length === 0) return null;
  return [...new Set(countries.map((country) => country.toUpperCase()))].sort();
}
