import { INestApplicationContext } from '@nestjs/common';
import { CLI_ACTOR } from '../auth/auth.types';
import { TemplateSyncResult, TemplatesService } from '../templates/templates.service';

/** `templates list`: the same answer as `GET /v1/templates`. */
export async function listTemplates(context: INestApplicationContext): Promise<unknown> {
  return { data: await context.get(TemplatesService).list() };
}

/** `templates sync`: the same work and audit event (actor `cli`) as `POST /v1/templates/sync`. */
export function syncTemplates(context: INestApplicationContext): Promise<TemplateSyncResult> {
  return context.get(TemplatesService).sync(CLI_ACTOR);
}
