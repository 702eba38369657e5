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
import { hourStart, seedVelocityCounter } from './support/velocity-counters';

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
  return t.http
    .post('/v1/verifications')
    .set(owner.auth)
    .send({ ttlSeconds: 60, ...body });
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
    // The sweep expires them: each terminal transition notes the code for the next evaluation.
    await t.app.get(ExpirySweeper).sweep();
    // (On a shared database the sweep may also expire other suites' verifications: only this app's decisions matter.)
    const decisions = (await guard.evaluateNow()).filter((d) => d.appId === owner.appId);
    expect(decisions).toEqual([expect.objectContaining({ callingCode: '49', action: 'blocked' })]);

    const refused = await create(t, owner, { phone: uniquePhone('+49151') }).expect(403);
    expect(refused.body).toMatchObject({
      statusCode: 403,
      code: 'country_not_allowed',
      details: [expect.objectContaining({ reason: 'low_conversion' })],
    });
    await create(t, owner, { phone: uniquePhone() }).expect(201); // other countries still pass

    const blocks = await blocksOf(t, owner.appId);
    expect(blocks).toEqual([
      {
        callingCode: '49',
        country: 'DE',
        reason: 'low_conversion',
        detail: expect.any(String),
        blockedUntil: expect.any(String),
      },
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
    expect(unblocked.data).toEqual({
      callingCode: '49',
      country: 'DE',
      requestId: expect.any(String),
    });
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
    await seedVelocityCounter(t, owner.appId, '49', hourStart(), 100_000_000);
    const refused = await create(t, owner, { phone: uniquePhone('+49151') }).expect(403);
    expect(refused.body.details).toEqual([expect.objectContaining({ reason: 'velocity' })]);
    expect(await blocksOf(t, owner.appId)).toEqual([
      expect.objectContaining({ callingCode: '49', country: 'DE', reason: 'velocity' }),
    ]);
    await t.app
      .get(DataSource)
      .query('DELETE FROM velocity_counters WHERE app_id = ?', [owner.appId]);
    // The velocity guard re-reads the shared hourly counts at most once a second (with the volume
    // still over its threshold, a lifted velocity block would come back at the next creation).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await t.http.delete(`/v1/apps/${owner.appId}/country-blocks/49`).set(ADMIN).expect(204);
    await create(t, owner, { phone: uniquePhone('+49151') }).expect(201);
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
      expect((await guard.evaluateNow()).filter((d) => d.appId === owner.appId)).toEqual([
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

/** Deterministic pseudo-random numbers (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('Conversion guard replay: legitimate traffic in 5 countries and a pumping attack on one', () => {
  const MIN_VOLUME = 20;
  const STEPS = 30;
  const LEGIT_PER_STEP = 2;
  const ATTACK_PER_STEP = 5;
  /** Prefix and number of random digits of valid mobile numbers per country. */
  const LEGIT = [
    { country: 'ID', prefix: '+62812', digits: 8, conversion: 0.85 },
    { country: 'IT', prefix: '+39347', digits: 7, conversion: 0.75 },
    { country: 'BR', prefix: '+55119', digits: 8, conversion: 0.8 },
    { country: 'IN', prefix: '+9198', digits: 8, conversion: 0.7 },
    { country: 'FR', prefix: '+336', digits: 8, conversion: 0.9 },
  ];
  const ATTACK = { country: 'NG', prefix: '+234803', digits: 7, callingCode: '234' };
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(guardEnv('enforce', MIN_VOLUME));
  });
  afterAll(() => t.close());

  it('blocks the attacked code after at most MIN_VOLUME + 10 % of the attack, and no legitimate country', async () => {
    const random = seeded(20261201);
    const used = new Set<string>();
    const phoneOf = (prefix: string, digits: number): string => {
      for (let i = 0; i < 1000; i += 1) {
        const tail = String(Math.floor(random() * 10 ** digits)).padStart(digits, '0');
        const phone = `${prefix}${tail}`;
        const parsed = normalisePhone(phone);
        if (!used.has(phone) && parsed && phoneRejection(parsed) === null) {
          used.add(phone);
          return phone;
        }
      }
      throw new Error(`no valid number for ${prefix}`);
    };
    const owner = await createTenant(t);
    const guard = t.app.get(ConversionGuard);
    const sweeper = t.app.get(ExpirySweeper);
    let attackSent = 0;
    let attackRefused = 0;
    let attackSentBeforeBlock: number | null = null;
    let legitCreated = 0;
    let legitRefused = 0;
    let legitApproved = 0;

    for (let step = 0; step < STEPS; step += 1) {
      for (const country of LEGIT) {
        for (let i = 0; i < LEGIT_PER_STEP; i += 1) {
          const phone = phoneOf(country.prefix, country.digits);
          const res = await create(t, owner, { phone });
          if (res.status === 403) {
            legitRefused += 1;
            continue;
          }
          expect(res.status).toBe(201);
          legitCreated += 1;
          if (random() < country.conversion) {
            const code = await sandboxCodeFor(t, owner, phone);
            await t.http
              .post(`/v1/verifications/${res.body.id}/check`)
              .set(owner.auth)
              .send({ code })
              .expect(200);
            legitApproved += 1;
          }
        }
      }
      for (let i = 0; i < ATTACK_PER_STEP; i += 1) {
        const res = await create(t, owner, { phone: phoneOf(ATTACK.prefix, ATTACK.digits) });
        if (res.status === 201) attackSent += 1;
        else {
          expect(res.status).toBe(403);
          expect(res.body.details).toEqual([expect.objectContaining({ reason: 'low_conversion' })]);
          attackRefused += 1;
        }
      }
      // One simulated minute passes: this step's unchecked codes (TTL 60 s) expire.
      await timeTravel(t, owner.appId, 61_000);
      await sweeper.sweep();
      const decisions = await guard.evaluateNow();
      if (
        attackSentBeforeBlock === null &&
        decisions.some((d) => d.appId === owner.appId && d.action === 'blocked')
      )
        attackSentBeforeBlock = attackSent;
    }

    const attackTotal = STEPS * ATTACK_PER_STEP;
    const blocks = await blocksOf(t, owner.appId);
    const figures = {
      legitCreated,
      legitApproved,
      legitConversion: Math.round((legitApproved / legitCreated) * 1000) / 1000,
      legitRefused,
      attackAttempts: attackTotal,
      attackSentBeforeBlock,
      attackSent,
      attackRefused,
      blockedCodes: blocks.map((block) => `${block.callingCode} (${block.reason})`),
    };
    // The figures quoted in docs/operations.md ("Conversion guard").
    console.log(`Conversion guard replay: ${JSON.stringify(figures)}`);

    expect(blocks.map((block) => block.callingCode)).toEqual([ATTACK.callingCode]);
    expect(legitRefused).toBe(0);
    expect(attackSentBeforeBlock).not.toBeNull();
    expect(attackSent).toBeLessThanOrEqual(MIN_VOLUME + Math.ceil(0.1 * attackTotal));
    expect(attackSent + attackRefused).toBe(attackTotal);
    expect(await auditOf(t, owner.appId, 'fraud.blocked')).toHaveLength(1);
  }, 90_000);
});
