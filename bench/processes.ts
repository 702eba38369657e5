/**
 * The servers under test, each a child process of the bench: the built service
 * (`node <the flags of npm run start:prod> dist/src/main.js`, NODE_ENV=production) and the SQL
 * floor server.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node flags production starts the service with: those of `npm run start:prod` (the Dockerfile's
 * CMD has the same; test/production-start.e2e-spec.ts keeps the three in step).
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, ...rest] = pkg.scripts['start:prod'].split(/\s+/);
  if (node !== 'node' || rest[rest.length - 1] !== 'dist/src/main.js')
    throw new Error(
      `start:prod is not "node <flags> dist/src/main.js": ${pkg.scripts['start:prod']}`,
    );
  return rest.slice(0, -1);
}

export interface ServiceSecrets {
  adminApiKey: string;
  otpPepper: string;
  metaAppSecret: string;
  metaPhoneNumberId: string;
}

export function newSecrets(): ServiceSecrets {
  return {
    adminApiKey: `wav_admin_${randomBytes(24).toString('base64url')}`,
    otpPepper: randomBytes(32).toString('base64url'),
    metaAppSecret: randomBytes(24).toString('hex'),
    metaPhoneNumberId: '1065403522',
  };
}

export class ServerProcess {
  private readonly tail: string[] = [];
  private exited = false;

  private constructor(
    readonly name: string,
    readonly base: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.tail.push(line);
        if (this.tail.length > 40) this.tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', () => (this.exited = true));
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  static async start(
    name: string,
    args: string[],
    env: Record<string, string>,
    port: number,
  ): Promise<ServerProcess> {
    const child = spawn(process.execPath, args, {
      cwd: join(__dirname, '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(name, `http://127.0.0.1:${port}`, child);
    await server.waitForReady(Date.now() + 120_000);
    return server;
  }

  /** The service, built by `npm run build`, on `port` with the Meta adapter pointed at `graphUrl`. */
  static service(
    databaseUrl: string,
    port: number,
    graphUrl: string,
    secrets: ServiceSecrets,
  ): Promise<ServerProcess> {
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    return ServerProcess.start(
      'service',
      [...productionNodeFlags(), ...nodeArgs, 'dist/src/main.js'],
      {
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        ADMIN_API_KEY: secrets.adminApiKey,
        OTP_PEPPER: secrets.otpPepper,
        WHATSAPP_BUSINESS_NUMBER: '+15550001111',
        WHATSAPP_PROVIDER: 'meta',
        SMS_PROVIDER: 'none',
        META_API_BASE_URL: graphUrl,
        META_ACCESS_TOKEN: 'bench-access-token',
        META_PHONE_NUMBER_ID: secrets.metaPhoneNumberId,
        META_APP_SECRET: secrets.metaAppSecret,
        META_VERIFY_TOKEN: 'bench-verify-token',
        // The operator opt-in for one key look-up fewer per request (revocation then takes up to 2 s
        // on other instances); docs/benchmarks.md.
        API_KEY_CACHE_TTL: '2s',
        // Raised for the load: one key, many creations, one sender network.
        RATE_LIMIT_API_KEY_PER_MINUTE: '10000000',
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '10000000',
        RATE_LIMIT_PHONE_PER_15_MINUTES: '1000000',
        RATE_LIMIT_PHONE_PER_DAY: '1000000',
        RATE_LIMIT_INBOUND_SENDER_PER_MINUTE: '1000000',
        // The velocity guard stays on (it counts and checks every creation); its floor is raised
        // because the load floods one calling code from one app, which it exists to block.
        VELOCITY_FLOOR_PER_HOUR: '100000000',
        LOG_LEVEL: 'warn',
      },
      port,
    );
  }

  /** The SQL floor server (bench/floor-server.ts) on `port`, on the engine of `databaseUrl`. */
  static floor(databaseUrl: string, port: number): Promise<ServerProcess> {
    return ServerProcess.start(
      'floor',
      ['-r', 'ts-node/register/transpile-only', 'bench/floor-server.ts'],
      {
        NODE_ENV: 'production',
        FLOOR_DATABASE_URL: databaseUrl,
        FLOOR_PORT: String(port),
        FLOOR_PEPPER: randomBytes(16).toString('hex'),
      },
      port,
    );
  }

  private async waitForReady(deadline: number): Promise<void> {
    while (Date.now() < deadline && !this.exited) {
      try {
        const res = await fetch(`${this.base}/health/ready`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${this.name} did not become ready${this.exited ? ' (it exited)' : ''}:\n${this.tail.join('\n')}`,
    );
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }
}
