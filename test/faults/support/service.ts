import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sleep } from '../../support/wait';

export const ADMIN_KEY = 'faults-admin-key-0123456789abcdefghijklmnop';
export const PEPPER = 'faults-pepper-0123456789abcdefghijklmnopqrs';

const MAIN = resolve(__dirname, '../../../dist/src/main.js');

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** The built service (`node dist/src/main.js`) as a child process on 127.0.0.1. */
export class ServiceProcess {
  readonly url: string;
  /** Everything the process wrote (stdout and stderr), for assertions and failure reports. */
  output = '';
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the service with the suite's fixed settings plus `env`, and waits until it answers. */
  static async start(env: Record<string, string>): Promise<ServiceProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const service = new ServiceProcess(await freePort(), {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      OTP_PEPPER: PEPPER,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-faults-')),
      CREATE_DEFAULT_APP: 'false',
      LOG_LEVEL: 'warn',
      WHATSAPP_PROVIDER: 'sandbox',
      SMS_PROVIDER: 'sandbox',
      WEBHOOK_DISPATCH_INTERVAL: '200ms',
      WEBHOOK_TIMEOUT: '2s',
      ...env,
    });
    await service.spawn();
    return service;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process has not exited. */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it again with the same settings and port (after {@link kill}). */
  async restart(): Promise<void> {
    if (this.alive) throw new Error('still running');
    await this.spawn();
  }

  /** Sends `signal` to the process and waits (bounded) for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!exited) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Ends the process (SIGTERM, then SIGKILL if it lingers). Safe to call twice. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    if (process.env.FAULTS_VERBOSE)
      process.stdout.write(`--- service ${this.port} output:\n${this.output}\n`);
  }

  async fetch(path: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Response> {
    return fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  }

  private async spawn(): Promise<void> {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
      });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`the service exited at start:\n${this.output.slice(-4000)}`);
      try {
        if ((await this.fetch('/health/live', {}, 1000)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.kill('SIGKILL');
    throw new Error(`the service did not start within 60 s:\n${this.output.slice(-4000)}`);
  }
}

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON (read field by field in assertions, like supertest's `res.body`), else the text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  ms: number;
}

/** JSON request helper: returns status, headers and the parsed body (or the raw text). */
export async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  options: {
    key?: string;
    body?: unknown;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<CallResult> {
  const started = Date.now();
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await service.fetch(
    path,
    {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    },
    options.timeoutMs ?? 10_000,
  );
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text, ms: Date.now() - started };
}
