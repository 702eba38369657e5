import { App } from '../apps/entities/app.entity';
import { ActorType } from '../audit/entities/audit-event.entity';

/** Who is calling, as established by {@link ApiAuthGuard}. */
export type AuthContext =
  { kind: 'app'; app: App; apiKeyId: string } | { kind: 'admin' } | { kind: 'none' };

/** Who did something, as recorded in the audit trail. */
export interface Actor {
  type: ActorType;
  id: string | null;
  ip: string | null;
  /** The request (its `X-Request-Id`) the action was taken in; the audit event's `data.requestId`. */
  requestId?: string;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, ip: null };

/** An operator using the `wa-verify` command line on the service's host. */
export const CLI_ACTOR: Actor = { type: 'cli', id: null, ip: null };

/** `metrics`: GET /metrics, open unless METRICS_TOKEN is set, then that bearer token. */
export type AuthMode = 'app' | 'admin' | 'app-or-admin' | 'none' | 'metrics';

export interface AuthenticatedRequest {
  auth?: AuthContext;
  /** Fastify's request id (see src/logging/request-id.ts). */
  id?: string;
  ip: string;
  headers: Record<string, string | string[] | undefined>;
}
