/**
 * The load generator: a keep-alive node:http client (cheaper than fetch, so the generator leaves
 * the CPU to the servers) and closed-loop clients that each run one operation after another.
 */
import { Agent, request as httpRequest } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: string,
    concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  request(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${this.base}${path}`,
        {
          method,
          agent: this.agent,
          headers:
            body === undefined
              ? headers
              : {
                  'content-type': 'application/json',
                  'content-length': String(Buffer.byteLength(body)),
                  ...headers,
                },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** JSON request with a bearer token; the parsed body (or null when it is not JSON). */
  async json(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    token?: string,
  ): Promise<{ status: number; json: Record<string, unknown> | null }> {
    const res = await this.request(
      method,
      path,
      payload === undefined ? undefined : JSON.stringify(payload),
      token ? { authorization: `Bearer ${token}` } : {},
    );
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      json = null;
    }
    return { status: res.status, json };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** An operation's outcome: `true` done, `false` failed, `null` nothing left to do (pool used up). */
export type Outcome = boolean | null;

export interface LoopResult {
  ops: number;
  errors: number;
  seconds: number;
  /** Sorted latencies of the successful operations, ms. */
  latencies: number[];
  /** True when a client ran out of work before the end of the window. */
  exhausted: boolean;
}

/**
 * `concurrency` clients, each running `op` back to back: first for `warmupMs` (not recorded), then
 * for `durationMs`. `onMeasure` is called at the start and the end of the measured window (CPU
 * snapshots). A client whose `op` answers null stops; the window then ends when all have stopped.
 */
export async function closedLoop(options: {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  op: (client: number) => Promise<Outcome>;
  onMeasure?: (phase: 'start' | 'end') => void;
}): Promise<LoopResult> {
  const { concurrency, op } = options;
  let exhausted = false;
  const runUntil = async (
    end: number,
    record: (ok: boolean, ms: number) => void,
  ): Promise<void> => {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, client) => {
        while (!exhausted && Date.now() < end) {
          const t0 = performance.now();
          let outcome: Outcome;
          try {
            outcome = await op(client);
          } catch {
            outcome = false;
          }
          if (outcome === null) {
            exhausted = true;
            return;
          }
          record(outcome, performance.now() - t0);
        }
      }),
    );
  };
  if (options.warmupMs > 0) await runUntil(Date.now() + options.warmupMs, () => undefined);
  const latencies: number[] = [];
  let errors = 0;
  options.onMeasure?.('start');
  const start = performance.now();
  await runUntil(Date.now() + options.durationMs, (ok, ms) => {
    if (ok) latencies.push(ms);
    else errors += 1;
  });
  const seconds = (performance.now() - start) / 1000;
  options.onMeasure?.('end');
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, errors, seconds, latencies, exhausted };
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `tasks` with at most `concurrency` at once (set-up work such as creating pools). */
export async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}
