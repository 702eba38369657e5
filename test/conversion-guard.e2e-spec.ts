import { DataSource } from 'typeorm';
import { ConversionGuard } from '../src/analytics/conversion-guard.service';
import { normalisePhone, phoneRejection } from '../src/common/phone';
import { ExpirySweeper } from '../src/expiry/expiry-sweeper.service';
import {
  ADMIN_KEY,
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';

/**
 * The conversion guard: per app and calling code, a conversion under CONVERSION_GUARD_MIN_RATE
 * among enough verifications old enough to have been checked blocks the code (enforce) or is only
 * recorded (shadow). Time passes by moving the app's rows into the past (SQL), as other suites do;
 * the guard's periodic evaluation and the expiry sweep are run on demand.
 */
const ADMIN = { Authorization: `Bearer ${ADMIN_KEY}` };
const MINUTE = 60_000;
const guardEnv = (mode: string, minVolume: number): Record<string, string> => ({
  CONVERSION_GUARD: mode,
  CONVERSION_GUARD_MIN_VOLUME: String(minVolume),
  CONVERSION_GUARD_MIN_RATE: '0.2',
  CONVERSION_GUARD_WINDOW: '1h',
  CONVERSION_GUARD_BLOCK_DURATION: '1h',
  CONVERSION_GUARD_EVALUATE_INTERVAL: '1h',
  EXPIRY_SWEEP_INTERVAL: '1h',
  RATE_LIMIT_PHONE_PER_15_MINUTES: '1000',
  RATE_LIMIT_PHONE_PER_DAY: '1000',
  RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
  VELOCITY_FLOOR_PER_HOUR: '100000000',
});

/** As if `ms` had passed for this app: its verifications, marks and blocks move into the past. */
async function timeTravel(t: TestApp, appId: string, ms: number): Promise<void> {
  const db = t.app.get(DataSource);
  await db.query(
    'UPDATE verifications SET created_at = created_at - ?, expires_at = expires_at - ?, last_sent_at = last_sent_at - ? WHERE app_id = ?',
    [ms, ms, ms, appId],
  );
  await db.query(
    'UPDATE conversion_marks SET created_at = created_at - ?, expires_at = expires_at - ? WHERE app_id = ?',
    [ms, ms, appId],
  );
  await db.query(
    'UPDATE country_blocks SET created_at = created_at - ?, blocked_until = blocked_until - ? WHERE app_id = ?',
    [ms, ms, appId],
  );
}

async function auditOf(t: TestApp, appId: string, type: string) {
  const res = await t.http.get('/v1/audit-events').query({ appId, type }).set(ADMIN).expect(200);
  return res.body.data as { type: string; data: Record<string, unknown> }[];
}

async function blocksOf(t: TestApp, appId: string) {
  return (await t.http.get(`/v1/apps/${appId}`).set(ADMIN).expect(200)).body.countryBlocks as {
    callingCode: string;
    country: string | null;
    reason: string;
    blockedUntil: string;
  }[];
}

function create(t: TestApp, owner: TestTenant, body: Record<string, unknown>) {
  return t.http.post('/v1/verifications').set(owner.auth).send({ ttlSeconds: 60, ...body });
}

/** `n` outbound verifications to +49 nobody checks, old enough to count (their TTL passed). */
async function unconverted(t: TestApp, owner: TestTenant, n: number, prefix = '+49151') {
  for (let i = 0; i < n; i += 1) await create(t, owner, { phone: uniquePhone(prefix) }).expect(201);
}

describe('Conversion guard, enforce', () => {
  let t: TestApp;
  let guard: ConversionGuard;

  beforeAll(async () => {
    t = await startApp(guardEnv('enforce', 5));
    guard = t.app.get(ConversionGuard);
  });
  afterAll(() => t.close());

  it('blocks a calling code whose conversion is too low, refuses it with low_conversion, lists and audits the block', async () => {
    const owner = await createTenant(t);
    await unconverted(t, owner, 5);
    // Not old enough yet: nothing could have been checked, nothing is decided.
    await guard.evaluateNow();
    expect(await blocksOf(t, owner.appId)).toEqual([]);
    await timeTravel(t, owner.appId, 2 * MINUTE);
    await guard.evaluateNow(); // codes noted at creation are evaluated once; note them again
    await t.app.get(ExpirySweeper).sweep();
    const decisions = await guard.evaluateNow();
    expect(decisions).toEqual([
      expect.objectContaining({ appId: owner.appId, callingCode: '49', action: 'blocked' }),
    ]);

    const refused = await create(t, owner, { phone: uniquePhone('+49151') }).expect(403);
    expect(refused.body).toMatchObject({
      statusCode: 403,
      code: 'country_not_allowed',
      details: [expect.objectContaining({ reason: 'low_conversion' })],
    });
    await create(t, owner, { phone: uniquePhone() }).expect(201); // other countries still pass

    const blocks = await blocksOf(t, owner.appId);
    expect(blocks).toEqual([
      { callingCode: '49', country: 'DE', reason: 'low_conversion', detail: expect.any(String), blockedUntil: expect.any(String) },
    ]);
    expect(Date.parse(blocks[0].blockedUntil) - Date.now()).toBeGreaterThan(58 * MINUTE);
    const [audited] = await auditOf(t, owner.appId, 'fraud.blocked');
    expect(audited.data).toMatchObject({
      reason: 'low_conversion',
      callingCode: '49',
      country: 'DE',
      settled: 5,
      approved: 0,
      conversionRate: 0,
    });
    expect(JSON.stringify(audited.data)).not.toMatch(/\+49151/);
  });

  it('leaves a code alone while too few verifications are settled or enough of them convert', async () => {
    const owner = await createTenant(t);
    await unconverted(t, owner, 4, '+49151');
    for (let i = 0; i < 5; i += 1) {
      const phone = uniquePhone('+62812');
      const { body } = await create(t, owner, { phone }).expect(201);
      if (i < 1) {
        await t.http
          .post(`/v1/verifications/${body.id}/check`)
          .set(owner.auth)
          .send({ code: await sandboxCodeFor(t, owner, phone) })
          .expect(200);
      }
    }
    await timeTravel(t, owner.appId, 2 * MINUTE);
    await t.app.get(ExpirySweeper).sweep();
    const decisions = await guard.evaluateNow();
    // +49: 4 settled (under the minimum volume); +62: 1 of 5 approved = 0.2, not under 0.2.
    expect(decisions.filter((d) => d.appId === owner.appId)).toEqual([
      expect.objectContaining({ callingCode: '62', conversionRate: 0.2, action: 'none' }),
    ]);
    expect(await blocksOf(t, owner.appId)).toEqual([]);
  });

  it('counts inbound approvals as conversions', async () => {
    const owner = await createTenant(t);
    await unconverted(t, owner, 5, '+3934');
    for (let i = 0; i < 2; i += 1) {
      const phone = uniquePhone('+3934');
      const { body } = await create(t, owner, { flow: 'inbound', phone }).expect(201);
      await t.http
        .post('/v1/sandbox/inbound')
        .set(owner.auth)
        .send({ from: phone, text: body.waMessage })
        .expect(200);
    }
    await timeTravel(t, owner.appId, 2 * MINUTE);
    await t.app.get(ExpirySweeper).sweep();
    const decisions = (await guard.evaluateNow()).filter((d) => d.appId === owner.appId);
    // 2 approved of 7 settled (0.2857): over the minimum; without the inbound approvals it would be 0.
    expect(decisions).toEqual([
      expect.objectContaining({ callingCode: '39', settled: 7, approved: 2, action: 'none' }),
    ]);
  });

  it('lifts a block at once (admin), audits it, and does not block again on the old evidence', async () => {
    const owner = await createTenant(t);
    await unconverted(t, owner, 5);
    await timeTravel(t, owner.appId, 2 * MINUTE);
    await t.app.get(ExpirySweeper).sweep();
    await guard.evaluateNow();
    await create(t, owner, { phone: uniquePhone('+49151') }).expect(403);

    await t.http.delete(`/v1/apps/${owner.appId}/country-blocks/49`).set(owner.auth).expect(401);
    await t.http.delete(`/v1/apps/${owner.appId}/country-blocks/49`).set(ADMIN).expect(204);
    expect(await blocksOf(t, owner.appId)).toEqual([]);
    await create(t, owner, { phone: uniquePhone('+49151') }).expect(201);
    const [unblocked] = await auditOf(t, owner.appId, 'fraud.unblocked');
    expect(unblocked.data).toEqual({ callingCode: '49', country: 'DE' });
    await timeTravel(t, owner.appId, 2 * MINUTE);
    await t.app.get(ExpirySweeper).sweep();
    expect((await guard.evaluateNow()).filter((d) => d.appId === owner.appId)).toEqual([]);
    await create(t, owner, { phone: uniquePhone('+49151') }).expect(201);

    const none = await t.http
      .delete(`/v1/apps/${owner.appId}/country-blocks/49`)
      .set(ADMIN)
      .expect(404);
    expect(none.body.code).toBe('not_found');
    await t.http.delete(`/v1/apps/${owner.appId}/country-blocks/4x`).set(ADMIN).expect(400);
    await t.http
      .delete('/v1/apps/01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70/country-blocks/49')
      .set(ADMIN)
      .expect(404);
  });

  it("lists the velocity guard's blocks with reason velocity, refuses with it, and lifts them too", async () => {
    const owner = await createTenant(t);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await t.app
      .get(DataSource)
      .query(
        'INSERT INTO velocity_counters (app_id, calling_code, hour_start, count) VALUES (?, ?, ?, ?)',
        [owner.appId, '33', hour, 100_000_000],
      );
    const refused = await create(t, owner, { phone: uniquePhone('+336') }).expect(403);
    expect(refused.body.details).toEqual([expect.objectContaining({ reason: 'velocity' })]);
    expect(await blocksOf(t, owner.appId)).toEqual([
      expect.objectContaining({ callingCode: '33', country: 'FR', reason: 'velocity' }),
    ]);
    await t.app
      .get(DataSource)
      .query('DELETE FROM velocity_counters WHERE app_id = ?', [owner.appId]);
    // The velocity guard re-reads the shared hourly counts at most once a second (with the volume
    // still over its threshold, a lifted velocity block would come back at the next creation).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await t.http.delete(`/v1/apps/${owner.appId}/country-blocks/33`).set(ADMIN).expect(204);
    await create(t, owner, { phone: uniquePhone('+336') }).expect(201);
  });
});

describe('Conversion guard, shadow and off', () => {
  it('shadow: records fraud.would_block once per block period and refuses nothing', async () => {
    const t = await startApp(guardEnv('shadow', 5));
    try {
      const guard = t.app.get(ConversionGuard);
      const owner = await createTenant(t);
      await unconverted(t, owner, 5);
      await timeTravel(t, owner.appId, 2 * MINUTE);
      await t.app.get(ExpirySweeper).sweep();
      expect(await guard.evaluateNow()).toEqual([
        expect.objectContaining({ callingCode: '49', action: 'would_block' }),
      ]);
      await unconverted(t, owner, 5);
      await timeTravel(t, owner.appId, 2 * MINUTE);
      await t.app.get(ExpirySweeper).sweep();
      await guard.evaluateNow();
      await create(t, owner, { phone: uniquePhone('+49151') }).expect(201);
      expect(await blocksOf(t, owner.appId)).toEqual([]);
      const events = await auditOf(t, owner.appId, 'fraud.would_block');
      expect(events).toHaveLength(1);
      expect(events[0].data).toMatchObject({ reason: 'low_conversion', callingCode: '49' });
      expect(await auditOf(t, owner.appId, 'fraud.blocked')).toEqual([]);
      // A new period: after the shadow period ends, the guard decides again (on fresh evidence).
      await timeTravel(t, owner.appId, 61 * MINUTE);
      await unconverted(t, owner, 5);
      await timeTravel(t, owner.appId, 2 * MINUTE);
      await t.app.get(ExpirySweeper).sweep();
      await guard.evaluateNow();
      expect(await auditOf(t, owner.appId, 'fraud.would_block')).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('off: decides nothing', async () => {
    const t = await startApp(guardEnv('off', 5));
    try {
      const owner = await createTenant(t);
      await unconverted(t, owner, 6);
      await timeTravel(t, owner.appId, 2 * MINUTE);
      await t.app.get(ExpirySweeper).sweep();
      expect(await t.app.get(ConversionGuard).evaluateNow()).toEqual([]);
      expect(await t.app.get(ConversionGuard).evaluate(owner.appId, '49')).toBeNull();
      await create(t, owner, { phone: uniquePhone('+49151') }).expect(201);
      expect(await auditOf(t, owner.appId, 'fraud.would_block')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
