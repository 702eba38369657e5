import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainException, ErrorCode, statusOf } from './errors';

/** Deepest JSON nesting a request body may have (ours need 3; the validator recurses per level). */
export const MAX_BODY_DEPTH = 32;

/** True when `value` nests objects/arrays deeper than `max` (iterative: deep input cannot overflow it). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

/**
 * Fastify `preValidation` hook: a body nested deeper than {@link MAX_BODY_DEPTH} is refused with 400
 * `validation_failed` before the validation pipe walks it (class-transformer recurses per level and
 * overflows the stack on a few thousand levels, which would be a 500).
 */
export function rejectDeeplyNestedBody(
  request: { body?: unknown },
  _reply: unknown,
  done: (error?: Error) => void,
): void {
  if (request.body !== undefined && nestsDeeperThan(request.body, MAX_BODY_DEPTH)) {
    done(
      new DomainException(
        ErrorCode.VALIDATION_FAILED,
        `Request body is nested more than ${MAX_BODY_DEPTH} levels deep`,
      ),
    );
    return;
  }
  done();
}

/**
 * Node's HTTP parser rejects some requests before Fastify or Nest see them (headers too large, a
 * malformed request line, a client too slow to send its request). Fastify's default answer has no
 * `code`; this one has the same `{ statusCode, code, message }` shape as every other error.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [ErrorCode.HEADERS_TOO_LARGE, 'Request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [ErrorCode.REQUEST_TIMEOUT, 'The request was not received in time']
        : [ErrorCode.VALIDATION_FAILED, 'Malformed HTTP request'];
  const status = statusOf(code);
  const body = JSON.stringify({ statusCode: status, code, message });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

/**
 * Fastify `frameworkErrors`: errors its router raises before any route runs (a URL with a broken
 * percent-escape such as `/health/live%`) get the usual `{ statusCode, code, message }` body
 * (400 `validation_failed`) instead of Fastify's own shape.
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = statusOf(ErrorCode.VALIDATION_FAILED);
  reply.code(status).send({
    statusCode: status,
    code: ErrorCode.VALIDATION_FAILED,
    message: error.code === 'FST_ERR_BAD_URL' ? 'Malformed URL' : 'Malformed request',
  });
}
