import { DataSource } from 'typeorm';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { ADMIN_KEY, createTenant, startApp, TestApp } from './support/harness';

/**
 * The client IP (per-IP failed-auth limit, audit trail) is the peer address unless TRUST_PROXY
 * names the proxies allowed to set X-Forwarded-For. The tests connect from 127.0.0.1, which plays
 * the proxy; the addresses in X-Forwarded-For are documentation ranges.
 */
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const LIMIT = 3;

async function appCreatedIp(t: TestApp, appId: string): Promise<string | null> {
  const event = await t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .findOneByOrFail({ type: 'app.created', appId });
  return event.ip;
}

async function failAuth(t: TestApp, forwardedFor?: string): Promise<number> {
  const req = t.http.get('/v1/verifications').set('Authorization', 'Bearer wrong-key');
  if (forwardedFor) void req.set('X-Forwarded-For', forwardedFor);
  return (await req).status;
}

describe('TRUST_PROXY=1 (one trusted hop in front)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ TRUST_PROXY: '1', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: String(LIMIT) });
  });
  afterAll(async () => t.close());

  it('counts failed authentications per address set by the trusted hop, not per proxy', async () => {
    // The client wrote 203.0.113.99 itself; the one trusted proxy appended what it saw: 198.51.100.7.
    const attacker = '203.0.113.99, 198.51.100.7';
    for (let i = 0; i < LIMIT; i += 1) expect(await failAuth(t, attacker)).toBe(401);
    expect(await failAuth(t, attacker)).toBe(429);
    // Only the spoofed left-most part changes: still the same client, still refused.
    expect(await failAuth(t, '192.0.2.1, 198.51.100.7')).toBe(429);
    // Another client behind the same proxy is not affected, nor is the proxy's own address.
    expect(await failAuth(t, '198.51.100.8')).toBe(401);
    expect(await failAuth(t)).toBe(401);
  });

  it('never refuses valid credentials from an address that exhausted the limit', async () => {
    const tenant = await createTenant(t);
    const blocked = '198.51.100.7';
    expect(await failAuth(t, blocked)).toBe(429);
    await t.http
      .get('/v1/verifications')
      .set(tenant.auth)
      .set('X-Forwarded-For', blocked)
      .expect(200);
    await t.http
      .get(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .set('X-Forwarded-For', blocked)
      .expect(200);
    // And the failures from it are still refused afterwards.
    expect(await failAuth(t, blocked)).toBe(429);
  });

  it('writes the address set by the trusted hop into audit events', async () => {
    const res = await t.http
      .post('/v1/apps')
      .set(admin)
      .set('X-Forwarded-For', '203.0.113.50, 198.51.100.20')
      .send({ name: 'Behind a proxy' })
      .expect(201);
    expect(await appCreatedIp(t, res.body.id)).toBe('198.51.100.20');
  });
});

describe('TRUST_PROXY=false (the default)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      TRUST_PROXY: 'false',
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: String(LIMIT),
    });
  });
  afterAll(async () => t.close());

  it('ignores a spoofed X-Forwarded-For: every failure counts against the peer address', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect(await failAuth(t, `203.0.113.${10 + i}`)).toBe(401);
    expect(await failAuth(t, '203.0.113.200')).toBe(429);
    expect(await failAuth(t)).toBe(429);
  });

  it('still answers valid credentials from the exhausted address with 200', async () => {
    const tenant = await createTenant(t);
    await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
    await t.http.get('/v1/verifications').set(tenant.auth).expect(200);
  });

  it('writes the peer address into audit events, whatever X-Forwarded-For says', async () => {
    const res = await t.http
      .post('/v1/apps')
      .set(admin)
      .set('X-Forwarded-For', '203.0.113.50')
      .send({ name: 'Spoofing' })
      .expect(201);
    expect(await appCreatedIp(t, res.body.id)).toBe('127.0.0.1');
  });
});

describe('TRUST_PROXY as an address list', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' });
  });
  afterAll(async () => t.close());

  it('takes the first address not in the list, from the right', async () => {
    const res = await t.http
      .post('/v1/apps')
      .set(admin)
      .set('X-Forwarded-For', '203.0.113.9, 198.51.100.30, 10.1.2.3')
      .send({ name: 'Two proxies' })
      .expect(201);
    expect(await appCreatedIp(t, res.body.id)).toBe('198.51.100.30');
  });
});
