/**
 * Benchmark: complete outbound flows (create + check) per second and their latency.
 *
 * Starts the built service (`npm run build` first) as a child process with the Meta adapter pointed
 * at a fake Graph API served by this process on 127.0.0.1, then runs N concurrent clients for a
 * fixed duration. Usage:
 *   npm run bench -- --duration 20 --concurrency 32 --database mysql://root@127.0.0.1:3306/wa_verify_bench
 * (default database: a fresh SQLite file). Only 127.0.0.1 is contacted; the run stops by itself.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import {
  Agent as HttpAgent,
  createServer,
  IncomingMessage,
  request as httpRequest,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Options {
  durationSeconds: number;
  concurrency: number;
  database: string;
  port: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  return {
    durationSeconds: Number(get('duration') ?? 20),
    concurrency: Number(get('concurrency') ?? 32),
    database:
      get('database') ??
      `sqlite:${join(mkdtempSync(join(tmpdir(), 'wa-verify-bench-')), 'bench.sqlite')}`,
    port: Number(get('port') ?? 3901),
  };
}

/** Fake Graph API: remembers the last code per recipient so clients can "type" it. */
function startFakeGraph(codes: Map<string, string>): Promise<{ url: string; close: () => void }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        to: string;
        template?: { components: { type: string; parameters: { text: string }[] }[] };
      };
      const code = body.template?.components.find((c) => c.type === 'body')?.parameters[0]?.text;
      if (code) codes.set(body.to, code);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          messaging_product: 'whatsapp',
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id: `wamid.${randomBytes(12).toString('hex')}` }],
        }),
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
}

async function waitForReady(base: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('service did not become ready');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const codes = new Map<string, string>();
  const graph = await startFakeGraph(codes);
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const base = `http://127.0.0.1:${options.port}`;
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(options.port),
      HOST: '127.0.0.1',
      DATABASE_URL: options.database,
      ADMIN_API_KEY: adminKey,
      OTP_PEPPER: randomBytes(24).toString('hex'),
      WHATSAPP_BUSINESS_NUMBER: '+15550001111',
      WHATSAPP_PROVIDER: 'meta',
      SMS_PROVIDER: 'none',
      META_API_BASE_URL: graph.url,
      META_ACCESS_TOKEN: 'bench',
      META_PHONE_NUMBER_ID: '1065403522',
      META_APP_SECRET: 'bench-secret',
      META_VERIFY_TOKEN: 'bench-verify-token',
      RATE_LIMIT_API_KEY_PER_MINUTE: '10000000',
      RATE_LIMIT_PHONE_PER_15_MINUTES: '1000000',
      RATE_LIMIT_PHONE_PER_DAY: '1000000',
      VELOCITY_GUARD_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForReady(base, Date.now() + 30_000);
    // A keep-alive node:http client: cheaper than fetch, so the load generator leaves the CPU to the service.
    const agent = new HttpAgent({ keepAlive: true, maxSockets: options.concurrency });
    const post = (
      path: string,
      body: unknown,
      auth: string,
    ): Promise<{ status: number; json: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = httpRequest(
          `${base}${path}`,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              authorization: `Bearer ${auth}`,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
              }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const app = await post('/v1/apps', { name: 'bench' }, adminKey);
    const apiKey = app.json.apiKey as string;

    let counter = 0;
    const nextPhone = (): string => {
      counter += 1;
      return `+62812${String(10_000_000 + (counter % 89_999_999)).slice(-8)}`;
    };
    const flow = async (): Promise<boolean> => {
      const phone = nextPhone();
      const created = await post('/v1/verifications', { phone }, apiKey);
      if (created.status !== 201) return false;
      const code = codes.get(phone.slice(1));
      codes.delete(phone.slice(1));
      const checked = await post(
        `/v1/verifications/${created.json.id as string}/check`,
        { code },
        apiKey,
      );
      return checked.status === 200 && checked.json.valid === true;
    };

    // Warm-up, then the measured window.
    const warmupEnd = Date.now() + 3000;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (Date.now() < warmupEnd) await flow();
      }),
    );

    const latencies: number[] = [];
    let failures = 0;
    const start = Date.now();
    const end = start + options.durationSeconds * 1000;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (Date.now() < end) {
          const t0 = performance.now();
          const ok = await flow();
          const elapsed = performance.now() - t0;
          if (ok) latencies.push(elapsed);
          else failures += 1;
        }
      }),
    );
    const seconds = (Date.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const result = {
      database: options.database.startsWith('mysql') ? 'mysql' : 'sqlite',
      concurrency: options.concurrency,
      seconds: Number(seconds.toFixed(1)),
      flows: latencies.length,
      failures,
      flowsPerSecond: Number((latencies.length / seconds).toFixed(1)),
      flowLatencyMs: {
        p50: Number(percentile(latencies, 50).toFixed(1)),
        p95: Number(percentile(latencies, 95).toFixed(1)),
        p99: Number(percentile(latencies, 99).toFixed(1)),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    agent.destroy();
  } finally {
    child.kill('SIGTERM');
    graph.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
