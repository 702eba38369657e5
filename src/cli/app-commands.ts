import { INestApplicationContext } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { toAppSummaryView, toCreatedAppView, toRotatedSecretView } from '../apps/app.view';
import { ApiKeysService } from '../apps/api-keys.service';
import { AppsService } from '../apps/apps.service';
import { CreateAppDto } from '../apps/dto/app.dto';
import { CLI_ACTOR } from '../auth/auth.types';
import { DomainException, ErrorCode } from '../common/errors';

/**
 * What the CLI's app commands do, through the same services (and so the same rules, webhook URL
 * policy and audit trail, with actor `cli`) as the admin API. Each returns the JSON to print.
 */
export async function createApp(
  context: INestApplicationContext,
  options: { name: string; webhookUrl?: string },
): Promise<unknown> {
  const dto = plainToInstance(CreateAppDto, {
    name: options.name,
    ...(options.webhookUrl !== undefined ? { webhookUrl: options.webhookUrl } : {}),
  });
  // The admin API's ValidationPipe, for the fields the CLI takes.
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const messages = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw new DomainException(ErrorCode.VALIDATION_FAILED, messages.join('; '));
  }
  return toCreatedAppView(await context.get(AppsService).create(dto, CLI_ACTOR));
}

/** Every app with its active key ids and prefixes; no API key, webhook secret or test number. */
export async function listApps(context: INestApplicationContext): Promise<unknown> {
  const apps = await context.get(AppsService).list();
  return apps.map(toAppSummaryView);
}

export async function createKey(context: INestApplicationContext, appId: string): Promise<unknown> {
  const { id, apiKey } = await context.get(ApiKeysService).create(appId, CLI_ACTOR);
  return { id, apiKey };
}

export async function revokeKey(
  context: INestApplicationContext,
  appId: string,
  keyId: string,
): Promise<unknown> {
  await context.get(ApiKeysService).revoke(appId, keyId, CLI_ACTOR);
  return { id: keyId, revoked: true };
}

export async function rotateWebhookSecret(
  context: INestApplicationContext,
  appId: string,
): Promise<unknown> {
  return toRotatedSecretView(await context.get(AppsService).rotateWebhookSecret(appId, CLI_ACTOR));
}
