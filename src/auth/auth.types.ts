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
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, ip: null };

/** An operator using the `wa-verify` command line on the service's host. */
export const CLI_ACTOR: Actor = { type: 'cli', id: null, ip: null };

export type AuthMode = 'app' | 'admin' | 'app-or-admin' | 'none';

export interface AuthenticatedRequest {
  auth?: AuthContext;
  ip: string;
  headers: Record<string, string | string[] | undefined>;
}
