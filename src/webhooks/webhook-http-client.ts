import { Injectable } from '@nestjs/common';
import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WebhookUrlPolicy } from './webhook-url.policy';

/** What one POST to a client's webhook URL came to. `error` never contains the response body or a secret. */
export interface WebhookPostResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * The one place client webhooks leave the service: a POST with the exact bytes, no redirects followed,
 * a timeout per attempt, and in production the SSRF policy applied to the URL and to the address the
 * name resolves to at connect time. `signal` aborts it early (shutdown).
 */
@Injectable()
export class WebhookHttpClient {
  constructor(private readonly policy: WebhookUrlPolicy) {}

  async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WebhookPostResult> {
    const started = Date.now();
    const refused = this.policy.rejection(url);
    if (refused) return { statusCode: null, latencyMs: 0, error: `refused: ${refused}` };
    const target = new URL(url);
    const bytes = Buffer.from(body, 'utf8');
    const abort = signal
      ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal])
      : AbortSignal.timeout(timeoutMs);
    const lookup = this.policy.connectLookup();
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        ...headers,
        'content-length': String(bytes.length),
        'user-agent': 'wa-verify-webhooks/1',
      },
      agent: false,
      signal: abort,
      ...(lookup ? { lookup } : {}),
    };
    return new Promise<WebhookPostResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<WebhookPostResult, 'latencyMs'>): void => {
        if (settled) return;
        settled = true;
        resolve({ ...result, latencyMs: Date.now() - started });
      };
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, options, (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', () => undefined);
        res.resume();
        finish({
          statusCode: status,
          error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        finish({ statusCode: null, error: describeError(error, abort, timeoutMs) }),
      );
      req.end(bytes);
    });
  }
}

function describeError(
  error: NodeJS.ErrnoException,
  abort: AbortSignal,
  timeoutMs: number,
): string {
  if (abort.aborted) {
    const reason: unknown = abort.reason;
    return reason instanceof Error && reason.name === 'TimeoutError'
      ? `timeout after ${timeoutMs} ms`
      : 'aborted: shutting down';
  }
  if (error.code === 'EPRIVATEADDR') return `refused: ${error.message}`;
  const code =
    typeof error.code === 'string' && /^[A-Z_]{2,40}$/.test(error.code) ? error.code : error.name;
  return `connection failed: ${code}`;
}
