import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createServer, Server, Socket, connect } from 'node:net';
import { DataSource } from 'typeorm';
import { ExpirySweeper } from '../src/expiry/expiry-sweeper.service';
import {
  ADMIN_KEY,
  createTenant,
  e2eDatabaseUrl,
  startApp,
  TestApp,
  uniquePhone,
} from './support/harness';
import { ageVerification } from './support/time-travel';

/**
 * Several instances of the service. The shared-Redis tests run when E2E_REDIS_URL points at a Redis
 * (.ci/run starts one); the "Redis unreachable" test needs none: it points REDIS_URL at a closed port.
 */
const redisUrl = process.env.E2E_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;
const onMysql = (process.env.E2E_DATABASE_URL ?? '').startsWith('mysql');

async function redisState(t: TestApp): Promise<string> {
  return (await t.http.get('/health/ready').expect(200)).body.checks.redis;
}

async function waitForRedis(t: TestApp, state: 'up' | 'down', timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let current = await redisState(t);
  while (current !== state && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    current = await redisState(t);
  }
  return current;
}

/** A port on 127.0.0.1 where nothing listens (yet). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeWithRedis('Two instances sharing one database and Redis', () => {
  const prefix = `wa-verify-e2e-${randomBytes(6).toString('hex')}:`;
  let t1: TestApp;
  let t2: TestApp;

  beforeAll(async () => {
    const databaseUrl = e2eDatabaseUrl();
    const env = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix };
    t1 = await startApp(env, databaseUrl);
    t2 = await startApp(env, databaseUrl);
    expect(await waitForRedis(t1, 'up')).toBe('up');
    expect(await waitForRedis(t2, 'up')).toBe('up');
  });

  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
    // Only this run's keys: everything under its unique prefix.
    const redis = new Redis(redisUrl!, { lazyConnect: true });
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('shares the per-phone limit: five creations across both instances, then the sixth is 429 on either', async () => {
    const tenant = await createTenant(t1);
    const phone = uniquePhone();
    for (const t of [t1, t2, t1, t2, t1])
      await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(201);

    for (const t of [t2, t1]) {
      const res = await t.http
        .post('/v1/verifications')
        .set(tenant.auth)
        .send({ phone })
        .expect(429);
      expect(res.body.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(890);
    }
    await t2.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone() })
      .expect(201);
  });

  (onMysql ? it : it.skip)(
    'expires each overdue verification once when both instances sweep at the same time',
    async () => {
      const tenant = await createTenant(t1, { webhookUrl: 'http://127.0.0.1:9/hooks' });
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await t1.http
          .post('/v1/verifications')
          .set(tenant.auth)
          .send({ phone: uniquePhone() })
          .expect(201);
        ids.push(res.body.id);
      }
      for (const id of ids) await ageVerification(t1, id, 11 * 60_000);

      const [a, b] = await Promise.all([
        t1.app.get(ExpirySweeper).sweep(),
        t2.app.get(ExpirySweeper).sweep(),
      ]);
      expect(a + b).toBeGreaterThanOrEqual(ids.length);

      const db = t1.app.get(DataSource);
      const placeholders = ids.map(() => '?').join(', ');
      const audits: { verification_id: string }[] = await db.query(
        `SELECT verification_id FROM audit_events WHERE type = 'verification.expired' AND verification_id IN (${placeholders})`,
        ids,
      );
      const deliveries: { verification_id: string }[] = await db.query(
        `SELECT verification_id FROM webhook_deliveries WHERE type = 'verification.expired' AND verification_id IN (${placeholders})`,
        ids,
      );
      expect(audits.map((row) => row.verification_id).sort()).toEqual([...ids].sort());
      expect(deliveries.map((row) => row.verification_id).sort()).toEqual([...ids].sort());
    },
  );
});

describe('API keys cached by two instances', () => {
  let t1: TestApp;
  let t2: TestApp;

  beforeAll(async () => {
    const databaseUrl = e2eDatabaseUrl();
    t1 = await startApp({ API_KEY_CACHE_TTL: '1s' }, databaseUrl);
    t2 = await startApp({ API_KEY_CACHE_TTL: '1s' }, databaseUrl);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });

  it('refuses a revoked key at once on the instance that revoked it and within the TTL on the other', async () => {
    const tenant = await createTenant(t1);
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const added = await t1.http.post(`/v1/apps/${tenant.appId}/api-keys`).set(admin).expect(201);
    const key = { Authorization: `Bearer ${added.body.apiKey}` };
    // Both instances have looked the key up (and may answer from memory for the next second).
    await t1.http.get('/v1/verifications').set(key).expect(200);
    await t2.http.get('/v1/verifications').set(key).expect(200);

    await t1.http
      .delete(`/v1/apps/${tenant.appId}/api-keys/${added.body.id}`)
      .set(admin)
      .expect(204);
    await t1.http.get('/v1/verifications').set(key).expect(401);
    const revokedAt = Date.now();
    for (;;) {
      const status = (await t2.http.get('/v1/verifications').set(key)).status;
      if (status === 401) break;
      expect(status).toBe(200);
      expect(Date.now() - revokedAt).toBeLessThan(1_000 + 500);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await t2.http.get('/v1/verifications').set(tenant.auth).expect(200);
  });
});

describe('Redis unreachable', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      RATE_LIMIT_API_KEY_PER_MINUTE: '3',
      RATE_LIMIT_PHONE_PER_15_MINUTES: '1',
    });
  });
  afterAll(async () => t.close());

  it('keeps answering with the limits counted in memory, and /health/ready reports redis down but stays ready', async () => {
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up', redis: 'down' } });

    const tenant = await createTenant(t);
    const phone = uniquePhone();
    await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(201);
    const perPhone = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(429);
    expect(perPhone.body.code).toBe('rate_limited');
    await t.http.get('/v1/verifications').set(tenant.auth).expect(200);
    const perKey = await t.http.get('/v1/verifications').set(tenant.auth).expect(429);
    expect(perKey.body.code).toBe('rate_limited');
  });
});

describeWithRedis('Redis coming back', () => {
  let t: TestApp;
  let proxy: Server | null = null;
  const sockets = new Set<Socket>();

  afterAll(async () => {
    await t?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  });

  it('reconnects on its own: redis down at start, up once Redis is reachable, and the limits apply again', async () => {
    const port = await closedPort();
    t = await startApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: `wa-verify-e2e-${randomBytes(6).toString('hex')}:`,
      RATE_LIMIT_PHONE_PER_15_MINUTES: '1',
    });
    expect(await redisState(t)).toBe('down');

    // Redis "comes back" on that port: a TCP relay to the real one.
    const target = new URL(redisUrl!);
    proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));

    expect(await waitForRedis(t, 'up')).toBe('up');
    const tenant = await createTenant(t);
    const phone = uniquePhone();
    await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(201);
    await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(429);
  });
});
