import { DataSource, QueryRunner } from 'typeorm';
import { currentRequestId } from '../src/logging/request-context';
import {
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';

/**
 * Round trips of the hot requests: every statement the service sends while serving one request
 * (BEGIN and COMMIT included; background jobs, which run outside any request, are not counted).
 * The budgets are today's counts: a change that adds a statement to these paths must say why here.
 */
describe('Statements per hot request', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const counted: string[] = [];
  let isMysql = false;

  beforeAll(async () => {
    // With the API-key cache on (an operator opt-in), a request reads no key.
    t = await startApp({ API_KEY_CACHE_TTL: '2s' });
    tenant = await createTenant(t);
    isMysql = t.app.get(DataSource).options.type === 'mysql';
    // Every engine's query runner goes through its prototype's query(): count those made for a request.
    const runner = t.app.get(DataSource).createQueryRunner();
    const prototype = Object.getPrototypeOf(runner) as QueryRunner;
    await runner.release();
    const original = prototype.query;
    jest.spyOn(prototype, 'query').mockImplementation(function (this: QueryRunner, ...args) {
      if (currentRequestId() !== undefined) {
        counted.push(String(args[0]));
        parameters.push((args[1] as unknown[] | undefined) ?? []);
      }
      return original.apply(this, args);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  const parameters: unknown[][] = [];

  async function statementsOf(request: () => Promise<unknown>): Promise<string[]> {
    parameters.length = 0;
    counted.length = 0;
    await request();
    return [...counted];
  }

  it('stays within its statement budget for create, GET, wrong check and right check', async () => {
    // An app with a webhook URL: its approval writes the webhook built from the row read.
    const hooked = await createTenant(t, { webhookUrl: 'http://127.0.0.1:9/hooks' });
    // Warm-up: the first request of a kind may read what later ones reuse.
    for (let round = 0; round < 2; round++) {
      for (const app of [tenant, hooked]) {
        const phone = uniquePhone();
        const create = await statementsOf(() =>
          t.http.post('/v1/verifications').set(app.auth).send({ phone }).expect(201),
        );
        const id = (
          await t.http.get('/v1/verifications').query({ phone }).set(app.auth).expect(200)
        ).body.data[0].id as string;
        const code = await sandboxCodeFor(t, app, phone);
        const get = await statementsOf(() =>
          t.http.get(`/v1/verifications/${id}`).set(app.auth).expect(200),
        );
        const wrong = await statementsOf(() =>
          t.http
            .post(`/v1/verifications/${id}/check`)
            .set(app.auth)
            .send({ code: code === '000000' ? '111111' : '000000' })
            .expect(200),
        );
        const right = await statementsOf(() =>
          t.http.post(`/v1/verifications/${id}/check`).set(app.auth).send({ code }).expect(200),
        );
        expect(
          (await t.http.get(`/v1/verifications/${id}`).set(app.auth).expect(200)).body.status,
        ).toBe('approved');
        if (round === 0) continue;
        // Create: a transaction storing the verification, its conversion mark and its audit
        // event, the sandbox's own message row, then a transaction recording the send (message,
        // the mark's sent flag, audit, delivery). The API key look-up is reused
        // (API_KEY_CACHE_TTL). No counter row is touched: the fold moves the counters.
        expect(create.length).toBeLessThanOrEqual(12);
        expect(
          [...create, ...get, ...wrong, ...right].filter((sql) => /conversion_counters/.test(sql)),
        ).toEqual([]);
        expect(get.length).toBeLessThanOrEqual(1);
        // SQLite: BEGIN, the UPDATE counting a code whose hash is not the stored one (returning
        // the attempts), audit, COMMIT; no read first.
        expect(wrong.length).toBeLessThanOrEqual(4);
        expect(wrong.some((sql) => /^SELECT/.test(sql))).toBe(false);
        // The app with a webhook URL: that transaction (counting nothing), the read, then BEGIN,
        // the conditional UPDATE, the mark's flag, audit, the webhook row, COMMIT. The code this
        // instance sent (RecentCodes), on SQLite: straight to BEGIN, the conditional UPDATE
        // returning the attempts, the mark's flag, audit, COMMIT; nothing read first.
        expect(right.length).toBeLessThanOrEqual(app === hooked ? 10 : 5);
        if (app !== hooked && !isMysql) {
          expect(right.filter((sql) => /^SELECT/.test(sql))).toEqual([]);
          expect(right[1]).toMatch(
            /^UPDATE verifications SET status = \?[\s\S]* RETURNING attempts$/,
          );
        }
        expect(right.filter((sql) => /SELECT status FROM verifications/.test(sql))).toEqual([]);
        expect(wrong.some((sql) => /api_keys/.test(sql))).toBe(false);
        if (!isMysql) continue;
        // MySQL: a transaction's writes travel with its next statement that is read, at the
        // latest with COMMIT (pipelined-transactions.ts), so these are round trips: create = the
        // store-first transaction in one packet, the sandbox's message row, the send's outcome in
        // one packet (its writes and the fenced UPDATE, whose answer nothing waits for, with
        // COMMIT); wrong check (one that cannot lock out) = one packet [BEGIN, UPDATE unless the
        // code's hash is the stored one, audit guarded by it, COMMIT, the row].
        expect(create).toHaveLength(3);
        expect(create[0]).toMatch(
          /^START TRANSACTION;\nINSERT INTO `verifications`[\s\S]*INSERT INTO `audit_events`[\s\S]*;\nCOMMIT$/,
        );
        expect(create[2]).toMatch(
          /^START TRANSACTION;\nINSERT INTO `verification_messages`[\s\S]*;\nUPDATE verifications SET delivery_channel[^;]*;\nCOMMIT$/,
        );
        expect(wrong.length).toBe(1);
        expect(wrong[0]).toMatch(
          /^START TRANSACTION;\nUPDATE verifications[\s\S]*code_hash <> \?[\s\S]*;\nSET @wv_counted = ROW_COUNT\(\);\nINSERT INTO `audit_events`[\s\S]*WHERE @wv_counted = 1;\nCOMMIT;\nSELECT [\s\S]*@wv_counted AS wv_counted FROM `verifications`/,
        );
        // The approval: [BEGIN, UPDATE, then its mark's flag, audit event (and webhook row) guarded
        // by it, COMMIT, did it approve?].
        const approval =
          /^START TRANSACTION;\nUPDATE verifications SET status = \?, approved_at[\s\S]*;\nSET @wv_approved = ROW_COUNT\(\);\nUPDATE conversion_marks SET flags = flags \| \?, unfolded = 1 [^;]* AND @wv_approved = 1;\nINSERT INTO `audit_events`[\s\S]* WHERE @wv_approved = 1;\n(INSERT INTO `webhook_deliveries`[\s\S]* WHERE @wv_approved = 1;\n)?COMMIT;\nSELECT @wv_approved AS approved$/;
        if (app === hooked) {
          // The wrong-code packet (counting nothing: its read), then the approval with the
          // webhook built from that row.
          expect(right).toHaveLength(2);
          expect(right[0]).toEqual(wrong[0]);
          expect(right[1]).toMatch(approval);
          expect(right[1]).toContain('INSERT INTO `webhook_deliveries`');
        } else {
          // The code this instance sent: straight to the approval, one round trip, no read.
          expect(right).toHaveLength(1);
          expect(right[0]).toMatch(approval);
        }
      }
    }
  });

  it('confirms an inbound message with its arrival event in the approving transaction', async () => {
    for (let round = 0; round < 2; round++) {
      const phone = uniquePhone();
      const created = await t.http
        .post('/v1/verifications')
        .set(tenant.auth)
        .send({ flow: 'inbound', phone })
        .expect(201);
      // The sandbox processes the message inside its request, so every statement is counted.
      const inbound = await statementsOf(() =>
        t.http
          .post('/v1/sandbox/inbound')
          .set(tenant.auth)
          .send({ from: phone, text: created.body.waMessage })
          .expect(200),
      );
      if (round === 0) continue;
      const approved = await t.http
        .get(`/v1/verifications/${created.body.id}`)
        .set(tenant.auth)
        .expect(200);
      expect(approved.body.status).toBe('approved');
      // `inbound.received` is written once, with the approval, never as a statement of its own.
      const receivedWrites = parameters.filter((values) => values.includes('inbound.received'));
      expect(receivedWrites).toHaveLength(1);
      const approving = inbound.findIndex((sql) =>
        /UPDATE verifications SET status = \?, approved_at = \?, updated_at = \?, phone = COALESCE/.test(
          sql,
        ),
      );
      expect(parameters.indexOf(receivedWrites[0])).toBe(isMysql ? approving : approving - 1);
      if (!isMysql) continue;
      expect(inbound.filter((sql) => /conversion_counters/.test(sql))).toEqual([]);
      // MySQL: [BEGIN, the arrival, the conditional approval, its mark's flag, `inbound.matched`
      // guarded by it, COMMIT, did it approve?] in one round trip; the whole message in at most 5:
      // stored (already leased to the instance that processes it: no claim, no read back), the
      // sender counted and the token's verification and app looked up together in one packet,
      // approved, the sandbox's reply row, the reply recorded with the event marked processed.
      expect(inbound.filter((sql) => /inbound_events/.test(sql))).toEqual([
        expect.stringMatching(/^INSERT INTO `inbound_events`/),
        expect.stringMatching(
          /^START TRANSACTION;\nINSERT INTO `verification_messages`[\s\S]*;\nUPDATE inbound_events SET status = 'processed'[\s\S]* AND lease_token = '[0-9a-f]+';\nCOMMIT$/,
        ),
      ]);
      expect(inbound[approving]).toMatch(
        /^START TRANSACTION;\nINSERT INTO `audit_events`[^;]*;\nUPDATE verifications SET status = \?[\s\S]*;\nSET @wv_approved = ROW_COUNT\(\);\n[\s\S]*INSERT INTO `audit_events`[\s\S]* WHERE @wv_approved = 1;\nCOMMIT;\nSELECT @wv_approved AS approved$/,
      );
      expect(inbound.length).toBeLessThanOrEqual(5);
      // The sender's count, then the token's verification and its app, in one look-up.
      expect(inbound.filter((sql) => /`apps`|inbound_senders/.test(sql))).toEqual([
        expect.stringMatching(
          /^START TRANSACTION;\nINSERT IGNORE INTO inbound_senders [\s\S]*;\nCOMMIT;\nSELECT @wv_sender_counted AS counted;\nSELECT [\s\S]* FROM `verifications` t JOIN `apps` u ON u\.id = t\.app_id WHERE t\.token_hash = \?$/,
        ),
      ]);
    }
  });
});
