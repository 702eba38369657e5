import { mainCountryOf } from '../common/phone';
import { iso } from '../common/columns';
import { AppDetails, AppListEntry, CreatedApp, RotatedWebhookSecret } from './apps.service';
import {
  ApiKeySummaryDto,
  AppResponseDto,
  AppSummaryDto,
  CreatedAppResponseDto,
  WebhookSecretRotatedDto,
} from './dto/app.dto';
import { ApiKey } from './entities/api-key.entity';

/**
 * The public app object, shared by the admin API and the CLI so both show the same fields. Never
 * contains a key hash or the webhook secret (only {@link toCreatedAppView} adds the secrets, once).
 */
export function toAppView({
  app,
  apiKeys,
  countryBlocks,
  testNumbersActive,
}: AppDetails): AppResponseDto {
  return {
    id: app.id,
    name: app.name,
    webhookUrl: app.webhookUrl,
    brandName: app.brandName,
    defaultLocale: app.defaultLocale,
    allowedCountries: app.allowedCountries,
    codeLength: app.codeLength,
    ttlSeconds: app.ttlSeconds,
    phoneLimitPer15Minutes: app.phoneLimit15m,
    phoneLimitPerDay: app.phoneLimitDay,
    testNumbers: (app.testNumbers ?? []).map((entry) => ({ phone: entry.phone })),
    testNumbersInProduction: app.testNumbersInProduction,
    testNumbersActive,
    allowUsernameOnly: app.allowUsernameOnly,
    apiKeys: apiKeys.map(toApiKeySummary),
    countryBlocks: countryBlocks.map((block) => ({
      callingCode: block.callingCode,
      country: mainCountryOf(block.callingCode),
      reason: block.kind,
      detail: block.reason,
      blockedUntil: iso(block.blockedUntil)!,
    })),
    createdAt: iso(app.createdAt)!,
    updatedAt: iso(app.updatedAt)!,
  };
}

/** An entry of the admin list of apps (GET /v1/apps, `wa-verify apps list`). */
export function toAppSummaryView({ app, apiKeys }: AppListEntry): AppSummaryDto {
  return {
    id: app.id,
    name: app.name,
    webhookUrl: app.webhookUrl,
    brandName: app.brandName,
    apiKeys: apiKeys.map(toApiKeySummary),
    createdAt: iso(app.createdAt)!,
    updatedAt: iso(app.updatedAt)!,
  };
}

function toApiKeySummary(key: ApiKey): ApiKeySummaryDto {
  return { id: key.id, prefix: key.keyPrefix, createdAt: iso(key.createdAt)! };
}

/** A new app with its first API key and webhook secret (shown only in this answer). */
export function toCreatedAppView(created: CreatedApp): CreatedAppResponseDto {
  return { ...toAppView(created), apiKey: created.apiKey, webhookSecret: created.webhookSecret };
}

export function toRotatedSecretView(rotated: RotatedWebhookSecret): WebhookSecretRotatedDto {
  return {
    webhookSecret: rotated.webhookSecret,
    previousSecretExpiresAt: iso(rotated.previousSecretExpiresAt)!,
  };
}
