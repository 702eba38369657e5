import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Fastify's `genReqId`: an incoming `X-Request-Id` of 1-128 characters of `[A-Za-z0-9._-]` is kept
 * (so a proxy's or a client's id follows the request through our logs and audit trail); anything
 * else (absent, too long, other characters that could forge log lines) gets a new UUID.
 */
export function requestIdFor(req: Pick<IncomingMessage, 'headers'>): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  if (typeof incoming === 'string' && ACCEPTED_REQUEST_ID.test(incoming)) return incoming;
  return randomUUID();
}
