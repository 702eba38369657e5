import { Logger } from '@nestjs/common';
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError } from './messaging-provider';

export interface ProviderHttpResponse {
  status: number;
  /** The parsed JSON body, or null when it is empty or not JSON. */
  json: unknown;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The HTTP client of the provider adapters: keep-alive connections (a send is on the request path
 * of `POST /v1/verifications`), a hard timeout per call, and transport failures turned into
 * retryable {@link DeliveryError}s named after the provider. HTTP error statuses are returned, not
 * thrown: each adapter maps its vendor's error body.
 */
export class ProviderHttpClient {
  private readonly logger: Logger;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly provider: string,
    private readonly timeoutMs: number,
  ) {
    this.logger = new Logger(`${provider}-http`);
  }

  post(url: string, headers: Record<string, string>, body: string): Promise<ProviderHttpResponse> {
    return this.request('POST', url, headers, Buffer.from(body));
  }

  get(url: string, headers: Record<string, string>): Promise<ProviderHttpResponse> {
    return this.request('GET', url, headers, null);
  }

  /**
   * One call. A keep-alive connection the server closed while idle is only found out when a request
   * is written on it; a reset of a reused connection before any response is that race (the server
   * did not take the request), so the call goes out once more on a new connection, as Node's HTTP
   * guide advises. Without it a confirmation reply or a code was lost whenever the provider closed
   * an idle connection. Any other failure is the caller's retryable DeliveryError.
   */
  private request(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload: Buffer | null,
    resent = false,
  ): Promise<ProviderHttpResponse> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise<ProviderHttpResponse>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method,
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: payload ? { ...headers, 'content-length': String(payload.length) } : headers,
        },
        (res) =>
          readResponse(res).then(resolve, (error: unknown) => reject(this.transportError(error))),
      );
      const timer = setTimeout(() => req.destroy(new TimeoutError()), this.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!resent && req.reusedSocket && error.code === 'ECONNRESET') {
          clearTimeout(timer);
          resolve(this.request(method, url, headers, payload, true));
          return;
        }
        reject(this.transportError(error));
      });
      req.end(payload ?? undefined);
    });
  }

  private transportError(error: unknown): DeliveryError {
    if (error instanceof TimeoutError) {
      this.logger.warn(`${this.provider} API timed out after ${this.timeoutMs} ms`);
      return new DeliveryError(
        `${this.provider} request timed out after ${this.timeoutMs} ms`,
        true,
      );
    }
    const code = (error as { code?: unknown })?.code;
    const cause = typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : null;
    this.logger.warn(`${this.provider} API unreachable${cause ? ` (${cause})` : ''}`);
    return new DeliveryError(`${this.provider} request failed${cause ? `: ${cause}` : ''}`, true);
  }
}

class TimeoutError extends Error {
  constructor() {
    super('timeout');
    this.name = 'TimeoutError';
  }
}

function readResponse(res: IncomingMessage): Promise<ProviderHttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) res.destroy(new Error('response too large'));
      else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () =>
      resolve({
        status: res.statusCode ?? 0,
        json: parseJson(Buffer.concat(chunks).toString('utf8')),
      }),
    );
  });
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
