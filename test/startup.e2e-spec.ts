import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { productionNodeFlags } from '../bench/processes';
import { ensureBuilt, MAIN_JS, ROOT, runProcess, startProcess } from './support/service-process';

/**
 * The service as operators start it (`node dist/src/main.js`, built first when dist is missing or
 * stale): quiet start-up ending in a banner, .env loading, unknown-variable hints, and one clear
 * line (exit 1) for configuration and database problems.
 */
const BANNER_END = /Admin key: [^\n]+\n/;
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'wa-verify-proc-'));

function devEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    DATA_DIR: join(dir, 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
    ...extra,
  };
}

// Each case starts Node processes: generous per-test time on a busy machine.
jest.setTimeout(90_000);

beforeAll(() => ensureBuilt(), 240_000);

describe('production start', () => {
  it('has the same Node flags in npm run start:prod, the Dockerfile and the bench, and serves with them', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const startProd = pkg.scripts['start:prod'].split(/\s+/);
    const cmdLine = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    const cmd = JSON.parse(cmdLine ?? '[]') as string[];
    const flags = productionNodeFlags();
    // The memory bound of README "Memory" (and of the bench's RSS goal) comes from these flags.
    expect(flags).toEqual(expect.arrayContaining(['--max-old-space-size=128']));
    expect(startProd).toEqual(['node', ...flags, 'dist/src/main.js']);
    expect(cmd).toEqual(['node', ...flags, 'dist/src/main.js']);

    const dir = tempDir();
    const service = startProcess(
      MAIN_JS,
      devEnv(dir, {
        NODE_ENV: 'production',
        ADMIN_API_KEY: randomBytes(24).toString('base64url'),
        OTP_PEPPER: randomBytes(24).toString('base64url'),
        WHATSAPP_BUSINESS_NUMBER: '+15550001111',
        WHATSAPP_PROVIDER: 'meta',
        SMS_PROVIDER: 'none',
        // Nothing is sent in this test; the adapter would talk to 127.0.0.1 only.
        META_API_BASE_URL: 'http://127.0.0.1:9',
        META_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
        META_PHONE_NUMBER_ID: '1234567890',
        META_APP_SECRET: randomBytes(24).toString('base64url'),
        META_VERIFY_TOKEN: randomBytes(24).toString('base64url'),
      }),
      ROOT,
      [],
      flags,
    );
    try {
      const out = await service.waitForStdout(/Listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const port = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe('start-up output', () => {
  it('is a short banner without Nest route lines, with the URLs and where the admin key is kept', async () => {
    const dir = tempDir();
    const first = startProcess(MAIN_JS, devEnv(dir));
    try {
      const out = await first.waitForStdout(BANNER_END);
      expect(out).not.toContain('Mapped {');
      expect(out).not.toMatch(/RoutesResolver|RouterExplorer|InstanceLoader|NestFactory/);
      const port = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      expect(port).toBeDefined();
      expect(out).toContain(`Swagger UI: http://127.0.0.1:${port}/docs`);
      expect(out).toContain(
        `Admin key: kept in ${join(dir, 'data', 'dev-secrets.json')} (generated now, shown once: wav_admin_`,
      );
      expect(out).toMatch(/Development app API key: wav_dev_/);
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).toBe(200);
    } finally {
      await first.stop();
    }

    // The second start reuses the key and does not print it again.
    const second = startProcess(MAIN_JS, devEnv(dir));
    try {
      const out = await second.waitForStdout(BANNER_END);
      expect(out).toContain(`Admin key: kept in ${join(dir, 'data', 'dev-secrets.json')}\n`);
      expect(out).not.toContain('wav_admin_');
    } finally {
      await second.stop();
    }
  });

  it('says the admin key comes from the environment, and never prints it', async () => {
    const key = 'env-admin-key-for-the-banner-test';
    const proc = startProcess(MAIN_JS, devEnv(tempDir(), { ADMIN_API_KEY: key }));
    try {
      const out = await proc.waitForStdout(BANNER_END);
      expect(out).toContain('Admin key: ADMIN_API_KEY from the environment');
      expect(out + proc.stderr()).not.toContain(key);
    } finally {
      await proc.stop();
    }
  });

  it('shows Nest start-up lines at LOG_LEVEL=debug', async () => {
    const proc = startProcess(MAIN_JS, devEnv(tempDir(), { LOG_LEVEL: 'debug' }));
    try {
      const out = await proc.waitForStdout(BANNER_END);
      expect(out).toContain('Mapped {');
    } finally {
      await proc.stop();
    }
  });
});

describe('.env and unknown variables', () => {
  it('loads .env from the working directory, the real environment winning, and hints at typos', async () => {
    const dir = tempDir();
    const fromDotenvData = join(dir, 'dotenv-data');
    writeFileSync(
      join(dir, '.env'),
      [
        '# copied from .env.example',
        `DATA_DIR=${fromDotenvData}`,
        `DATABASE_URL=sqlite:${join(dir, 'from-dotenv.sqlite')}`,
        'WHATSAP_PROVIDER=meta',
        '',
      ].join('\n'),
    );
    const proc = startProcess(
      MAIN_JS,
      {
        NODE_ENV: 'development',
        DATABASE_URL: `sqlite:${join(dir, 'from-env.sqlite')}`,
        PORT: '0',
        HOST: '127.0.0.1',
      },
      dir,
    );
    try {
      const out = await proc.waitForStdout(BANNER_END);
      expect(out).toContain(`Admin key: kept in ${join(fromDotenvData, 'dev-secrets.json')}`);
      expect(existsSync(join(dir, 'from-env.sqlite'))).toBe(true);
      expect(existsSync(join(dir, 'from-dotenv.sqlite'))).toBe(false);
      expect(proc.stderr()).toContain(
        'wa-verify: warning: unknown variable WHATSAP_PROVIDER is ignored (did you mean WHATSAPP_PROVIDER?)\n',
      );
    } finally {
      await proc.stop();
    }
  });
});

describe('refusing to start', () => {
  function expectOneLine(stderr: string): string {
    const lines = stderr.split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    return lines[0];
  }

  it('exits 1 with one line for a duration without a unit', async () => {
    const run = await runProcess(MAIN_JS, devEnv(tempDir(), { WEBHOOK_TIMEOUT: '10' }));
    expect(run.code).toBe(1);
    expect(expectOneLine(run.stderr)).toBe(
      'wa-verify: invalid configuration: WEBHOOK_TIMEOUT must be a duration with a unit, such as 10s (got "10")',
    );
  });

  it('exits 1 with one line when NODE_ENV is neither development nor test and a secret is missing', async () => {
    const run = await runProcess(MAIN_JS, devEnv(tempDir(), { NODE_ENV: 'staging' }));
    expect(run.code).toBe(1);
    expect(expectOneLine(run.stderr)).toMatch(
      /^wa-verify: invalid configuration: ADMIN_API_KEY is required/,
    );
  });

  it('exits 1 fast with one line when the database server cannot be reached', async () => {
    const password = 'Sup3r-s3cret-pw';
    const run = await runProcess(
      MAIN_JS,
      devEnv(tempDir(), { DATABASE_URL: `mysql://wa:${password}@127.0.0.1:1/wa_verify` }),
    );
    expect(run.code).toBe(1);
    expect(expectOneLine(run.stderr)).toBe(
      'wa-verify: cannot reach the database server at 127.0.0.1:1 (ECONNREFUSED); is MySQL/MariaDB running and DATABASE_URL right?',
    );
    expect(run.stderr + run.stdout).not.toContain(password);
    expect(run.ms).toBeLessThan(10_000);
  });

  const e2eUrl = process.env.E2E_DATABASE_URL ?? '';
  const onMysql = e2eUrl.startsWith('mysql');
  // Needs a MySQL/MariaDB server: runs when E2E_DATABASE_URL points at one (as in .ci/run).
  (onMysql ? it : it.skip)(
    'exits 1 fast with the CREATE DATABASE command when the database does not exist',
    async () => {
      const server = new URL(e2eUrl);
      const missing = `wa_verify_missing_${process.pid}_${Date.now()}`;
      server.pathname = `/${missing}`;
      const admin = await createConnection({ uri: e2eUrl });
      await admin.query(`DROP DATABASE IF EXISTS \`${missing}\``);
      await admin.end();

      const run = await runProcess(MAIN_JS, devEnv(tempDir(), { DATABASE_URL: server.toString() }));
      expect(run.code).toBe(1);
      const user = decodeURIComponent(server.username) || 'root';
      expect(expectOneLine(run.stderr)).toBe(
        `wa-verify: database "${missing}" does not exist on ${server.hostname}:${server.port || 3306}; ` +
          `create it with: mysql -h ${server.hostname} -P ${server.port || 3306} -u ${user} -p -e ` +
          `"CREATE DATABASE \`${missing}\` CHARACTER SET utf8mb4"`,
      );
      if (server.password) expect(run.stderr).not.toContain(decodeURIComponent(server.password));
      expect(run.ms).toBeLessThan(10_000);
    },
  );
});
