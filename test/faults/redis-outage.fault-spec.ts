import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../support/wait';
import { createTenant, Tenant, uniquePhone } from './support/api';
import { freshDatabase, FreshDatabase, redisUrl } from './support/mariadb';
import { call, ServiceProcess } from './support/service';
import { TcpProxy } from './support/tcp-proxy';

const PER_KEY = 6;

/**
 * Redis goes away under two running instances (a TCP proxy the test owns sits in front of it). They
 * keep serving with the limits counted in memory and report `redis: down`; once Redis is back the
 * per-key limit is shared across both again.
 */
describe('Redis outage', () => {
  const prefix = `wa-verify-faults-${randomBytes(6).toString('hex')}:`;
  let db: FreshDatabase;
  let proxy: TcpProxy;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    db = await freshDatabase('redis');
    const redis = redisUrl();
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${await proxy.start()}`,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_API_KEY_PER_MINUTE: String(PER_KEY),
    };
    a = await ServiceProcess.start(env);
    b = await ServiceProcess.start(env); // after a: a has applied the migrations
    await waitFor(async () => (await redisState(a)) === 'up' && (await redisState(b)) === 'up');
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.close();
    await db?.drop();
    const redis = new Redis(redisUrl().toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    for (let pages = 0; pages < 1000; pages++) {
      const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = nextCursor;
      if (cursor === '0') break;
    }
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  async function redisState(service: ServiceProcess): Promise<string> {
    const res = await call(service, 'GET', '/health/ready');
    expect(res.status).toBe(200); // Redis never decides readiness
    return res.body.checks.redis as string;
  }

  const list = (service: ServiceProcess, tenant: Tenant) =>
    call(service, 'GET', '/v1/verifications?limit=1', { key: tenant.apiKey });

  /** `n` requests of one key on `service`, and their statuses. */
  async function hits(service: ServiceProcess, tenant: Tenant, n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await list(service, tenant)).status);
    return statuses;
  }

  async function expectShared(): Promise<void> {
    const tenant = await createTenant(a);
    expect(await hits(a, tenant, PER_KEY / 2)).toEqual(Array(PER_KEY / 2).fill(200));
    expect(await hits(b, tenant, PER_KEY / 2)).toEqual(Array(PER_KEY / 2).fill(200));
    for (const service of [a, b]) {
      const res = await list(service, tenant);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  }

  it('shares the per-key limit across both instances while Redis is up', async () => {
    await expectShared();
  });

  for (const mode of ['blackhole', 'refuse'] as const) {
    it(`${mode}: keeps serving with per-instance limits in memory, reports redis down, and shares the limits again once Redis is back`, async () => {
      await proxy.cut(mode);
      for (const service of [a, b])
        await waitFor(async () => (await redisState(service)) === 'down', 15_000, 200);

      // Still serving: admin, creations and reads all answer, and quickly.
      const tenant = await createTenant(a);
      const created = await call(b, 'POST', '/v1/verifications', {
        key: tenant.apiKey,
        body: { phone: uniquePhone() },
      });
      expect(created.status).toBe(201);
      expect(created.ms).toBeLessThan(5_000);
      // Each instance enforces the limit on its own: PER_KEY more on a (b's creation is not seen
      // there), then PER_KEY - 1 more on b, and both refuse the next one.
      expect(await hits(a, tenant, PER_KEY)).toEqual(Array(PER_KEY).fill(200));
      expect((await list(a, tenant)).status).toBe(429);
      expect(await hits(b, tenant, PER_KEY - 1)).toEqual(Array(PER_KEY - 1).fill(200));
      const limited = await list(b, tenant);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(a.alive && b.alive).toBe(true);

      await proxy.restore();
      for (const service of [a, b])
        await waitFor(async () => (await redisState(service)) === 'up', 20_000, 200);
      await expectShared();
    });
  }

  it('logs the outage as a few warnings, not one per request', () => {
    for (const service of [a, b]) {
      const noisy = service.output.split('\n').filter((line) => /WARN|ERROR/.test(line));
      expect(noisy.length).toBeLessThan(15);
      expect(service.output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    }
  });
});
