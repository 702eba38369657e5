import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and audit event written while serving a request knows about it. */
export interface RequestContext {
  reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) inside the request's context. */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The id of the request being served, or undefined outside a request (start-up, background jobs). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.reqId;
}

/** Runs `fn` (and everything it starts) outside any request: work that outlives the request that queued it. */
export function runOutsideRequestContext<T>(fn: () => T): T {
  return storage.exit(fn);
}
