import request from 'supertest';
import { ADMIN_KEY, codeIn, PEPPER, startApp, TestApp, uniquePhone } from './support/harness';
import { ageVerification } from './support/time-travel';
import { ErrorCode } from '../src/common/errors';
import { errorMessage, STRINGS } from '../web/demo/strings';

/**
 * The server side of /demo: public routes acting as the development app. The browser only ever
 * holds demo-issued handles, never a key; the simulator exists with the sandbox only.
 */
describe('demo API (/demo/api)', () => {
  describe('with the development app and the sandbox', () => {
    let t: TestApp;
    let devKey: string;
    const bodies: string[] = [];

    /** Every demo response is kept, to prove no secret ever reaches the browser. */
    const demo = {
      get: (path: string) => keep(t.http.get(`/demo/api${path}`)),
      post: (path: string, body: object = {}) => keep(t.http.post(`/demo/api${path}`).send(body)),
    };
    function keep(test: request.Test): request.Test {
      return test.on('response', (res: request.Response) => bodies.push(res.text));
    }

    beforeAll(async () => {
      t = await startApp({ CREATE_DEFAULT_APP: 'true', RATE_LIMIT_DEMO_SENDS_PER_MINUTE: '100' });
      devKey = t.config.developmentAppApiKey!;
      expect(devKey).toMatch(/^wav_/);
    });
    afterAll(() => t.close());

    it('tells the page that the simulator is available', async () => {
      const res = await demo.get('/config').expect(200);
      expect(res.body).toEqual({
        sandbox: true,
        businessNumber: t.config.whatsappBusinessNumber,
        brandName: 'wa-verify',
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('outbound: the simulator shows the code, a wrong code costs an attempt, the right one approves', async () => {
      const phone = uniquePhone();
      const created = await demo
        .post('/verifications', { flow: 'outbound', phone, locale: 'id' })
        .expect(201);
      expect(created.body).toMatchObject({
        flow: 'outbound',
        phone,
        status: 'pending',
        attemptsRemaining: 5,
        sendsRemaining: 4,
      });
      expect(created.body).not.toHaveProperty('id');
      expect(created.body).not.toHaveProperty('appId');
      const handle = String(created.body.handle);
      const id = handle.split('.')[0];
      expect(Date.parse(created.body.resendAvailableAt) - Date.now()).toBeGreaterThan(20_000);

      const messages = await demo.get(`/verifications/${handle}/messages`).expect(200);
      expect(messages.body).toHaveLength(1);
      expect(messages.body[0]).toMatchObject({ to: phone, channel: 'whatsapp' });
      // locale `id`: the message is in Indonesian.
      expect(messages.body[0].text).toContain('kode verifikasi');
      const code = codeIn(messages.body[0].text);

      const wrong = await demo
        .post(`/verifications/${handle}/check`, { code: code === '000000' ? '111111' : '000000' })
        .expect(200);
      expect(wrong.body).toMatchObject({
        valid: false,
        verification: { status: 'pending', attemptsRemaining: 4 },
      });

      const tooSoon = await demo.post(`/verifications/${handle}/resend`).expect(429);
      expect(tooSoon.body.code).toBe('resend_too_soon');
      expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);

      const right = await demo.post(`/verifications/${handle}/check`, { code }).expect(200);
      expect(right.body).toMatchObject({
        valid: true,
        verification: { handle, status: 'approved', phone },
      });
      expect(right.body.verification.approvedAt).toEqual(expect.any(String));

      const again = await demo.post(`/verifications/${handle}/check`, { code }).expect(409);
      expect(again.body.code).toBe('verification_not_pending');

      // The app's own API sees it, marked as the demo's.
      const viaApi = await t.http
        .get(`/v1/verifications/${id}`)
        .set('Authorization', `Bearer ${devKey}`)
        .expect(200);
      expect(viaApi.body).toMatchObject({ status: 'approved', metadata: { source: 'demo' } });
    });

    it('outbound: resend after the cooldown replaces the code; past its expiry it reads expired', async () => {
      const phone = uniquePhone();
      const created = await demo.post('/verifications', { flow: 'outbound', phone }).expect(201);
      const handle = String(created.body.handle);
      const id = handle.split('.')[0];
      const first = codeIn((await demo.get(`/verifications/${handle}/messages`)).body[0].text);

      await ageVerification(t, id, 31_000);
      const resent = await demo.post(`/verifications/${handle}/resend`).expect(200);
      expect(resent.body).toMatchObject({ status: 'pending', sendsRemaining: 3 });
      expect(Date.parse(resent.body.resendAvailableAt)).toBeGreaterThan(Date.now() + 20_000);
      const thread = (await demo.get(`/verifications/${handle}/messages`).expect(200)).body;
      expect(thread).toHaveLength(2);
      const second = codeIn(thread[1].text);
      if (first !== second) {
        const old = await demo.post(`/verifications/${handle}/check`, { code: first }).expect(200);
        expect(old.body.valid).toBe(false);
      }

      await ageVerification(t, id, 11 * 60_000);
      const read = await demo.get(`/verifications/${handle}`).expect(200);
      expect(read.body).toMatchObject({ status: 'expired', resendAvailableAt: null });
      const late = await demo.post(`/verifications/${handle}/check`, { code: second }).expect(409);
      expect(late.body).toMatchObject({ code: 'verification_not_pending', status: 'expired' });
    });

    it('inbound: the simulated person sends the prefilled message, the page sees approved', async () => {
      const created = await demo.post('/verifications', { flow: 'inbound' }).expect(201);
      expect(created.body).toMatchObject({ flow: 'inbound', status: 'pending', phone: null });
      expect(created.body.waLink).toMatch(/^https:\/\/wa\.me\//);
      expect(created.body.qrCode).toMatch(/^data:image\/(png|svg\+xml);base64,/);
      const handle = String(created.body.handle);

      // Polling shows pending, without the link (it is shown once).
      const pending = await demo.get(`/verifications/${handle}`).expect(200);
      expect(pending.body).toMatchObject({ status: 'pending' });
      expect(pending.body).not.toHaveProperty('qrCode');
      expect((await demo.get(`/verifications/${handle}/messages`).expect(200)).body).toEqual([]);

      const phone = uniquePhone();
      const sent = await demo
        .post(`/verifications/${handle}/inbound`, { from: phone.replace('+', '00') })
        .expect(200);
      expect(sent.body.accepted).toBe(true);
      expect(sent.body.replies).toEqual([
        expect.objectContaining({ to: phone, text: expect.stringContaining('verified') }),
      ]);

      const approved = await demo.get(`/verifications/${handle}`).expect(200);
      expect(approved.body).toMatchObject({ status: 'approved', phone });
      const thread = await demo.get(`/verifications/${handle}/messages`).expect(200);
      expect(thread.body.map((m: { id: string }) => m.id)).toEqual([sent.body.replies[0].id]);
    });

    it('an inbound message that is not the prefilled one does not approve', async () => {
      const created = await demo.post('/verifications', { flow: 'inbound' }).expect(201);
      const handle = String(created.body.handle);
      const phone = uniquePhone();
      const sent = await demo
        .post(`/verifications/${handle}/inbound`, { from: phone, text: 'hello there' })
        .expect(200);
      expect(sent.body.replies).toHaveLength(1);
      expect((await demo.get(`/verifications/${handle}`).expect(200)).body.status).toBe('pending');
    });

    it('only reads verifications the demo made, by their demo-issued handle', async () => {
      // A verification of the development app made through the API, not by the demo.
      const own = await t.http
        .post('/v1/verifications')
        .set('Authorization', `Bearer ${devKey}`)
        .send({ flow: 'inbound' })
        .expect(201);
      const demoMade = await demo.post('/verifications', { flow: 'inbound' }).expect(201);
      const signature = String(demoMade.body.handle).split('.')[1];

      for (const handle of [
        own.body.id,
        `${own.body.id}.${signature}`,
        `${own.body.id}.`,
        `${String(demoMade.body.handle).slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
        'x'.repeat(90),
      ]) {
        const res = await demo.get(`/verifications/${encodeURIComponent(handle)}`).expect(404);
        expect(res.body.code).toBe('not_found');
        await demo.post(`/verifications/${encodeURIComponent(handle)}/check`, { code: '123456' });
        await demo.get(`/verifications/${encodeURIComponent(handle)}/messages`).expect(404);
      }
    });

    it('answers every bad input with a clear 4xx code', async () => {
      const badPhone = await demo
        .post('/verifications', { flow: 'outbound', phone: 'not a phone' })
        .expect(400);
      expect(badPhone.body.code).toBe('invalid_phone');
      const noPhone = await demo.post('/verifications', { flow: 'outbound' }).expect(400);
      expect(noPhone.body.code).toBe('validation_failed');
      const badFlow = await demo.post('/verifications', { flow: 'sideways' }).expect(400);
      expect(badFlow.body.code).toBe('validation_failed');
      const extra = await demo
        .post('/verifications', { flow: 'inbound', metadata: { a: 1 } })
        .expect(400);
      expect(extra.body.code).toBe('validation_failed');

      const outbound = await demo
        .post('/verifications', { flow: 'outbound', phone: uniquePhone() })
        .expect(201);
      const notInbound = await demo
        .post(`/verifications/${outbound.body.handle}/inbound`, { from: uniquePhone() })
        .expect(400);
      expect(notInbound.body.code).toBe('validation_failed');
      const badFrom = await demo
        .post(`/verifications/${outbound.body.handle}/check`, { code: '' })
        .expect(400);
      expect(badFrom.body.code).toBe('validation_failed');
    });

    it('never put a key or the pepper in any response above', () => {
      expect(bodies.length).toBeGreaterThan(20);
      for (const body of bodies) {
        expect(body).not.toContain(devKey);
        expect(body).not.toContain(ADMIN_KEY);
        expect(body).not.toContain(PEPPER);
        expect(body).not.toMatch(/wav_[A-Za-z0-9_-]{8,}/);
      }
    });
  });

  describe('rate limits per client IP', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({
        CREATE_DEFAULT_APP: 'true',
        RATE_LIMIT_DEMO_PER_MINUTE: '6',
        RATE_LIMIT_DEMO_SENDS_PER_MINUTE: '2',
      });
    });
    afterAll(() => t.close());

    it('limits the sends, then every request, with 429 rate_limited and Retry-After', async () => {
      await t.http.post('/demo/api/verifications').send({ flow: 'inbound' }).expect(201);
      await t.http.post('/demo/api/verifications').send({ flow: 'inbound' }).expect(201);
      const third = await t.http
        .post('/demo/api/verifications')
        .send({ flow: 'inbound' })
        .expect(429);
      expect(third.body.code).toBe('rate_limited');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);

      // Reads still go through until the request limit (6 including the 3 above).
      await t.http.get('/demo/api/config').expect(200);
      await t.http.get('/demo/api/config').expect(200);
      await t.http.get('/demo/api/config').expect(200);
      const over = await t.http.get('/demo/api/config').expect(429);
      expect(over.body.code).toBe('rate_limited');
    });
  });

  describe('without the sandbox', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({
        CREATE_DEFAULT_APP: 'true',
        WHATSAPP_PROVIDER: 'meta',
        SMS_PROVIDER: 'none',
        META_API_BASE_URL: 'http://127.0.0.1:9',
        META_ACCESS_TOKEN: 'meta-access-token',
        META_PHONE_NUMBER_ID: '1234567890',
        META_APP_SECRET: 'meta-app-secret-0123456789',
        META_VERIFY_TOKEN: 'meta-verify-token',
      });
    });
    afterAll(() => t.close());

    it('has no phone simulator: messages and inbound answer 404', async () => {
      expect((await t.http.get('/demo/api/config').expect(200)).body.sandbox).toBe(false);
      const created = await t.http
        .post('/demo/api/verifications')
        .send({ flow: 'inbound' })
        .expect(201);
      const handle = String(created.body.handle);
      await t.http.get(`/demo/api/verifications/${handle}`).expect(200);
      const messages = await t.http.get(`/demo/api/verifications/${handle}/messages`).expect(404);
      expect(messages.body.code).toBe('not_found');
      await t.http
        .post(`/demo/api/verifications/${handle}/inbound`)
        .send({ from: uniquePhone() })
        .expect(404);
    });
  });

  describe('without a development app (as in production)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ CREATE_DEFAULT_APP: 'false' });
    });
    afterAll(() => t.close());

    it('answers 404 not_found saying why', async () => {
      const res = await t.http.get('/demo/api/config').expect(404);
      expect(res.body).toMatchObject({ code: 'not_found' });
      expect(res.body.message).toContain('development app');
      await t.http.post('/demo/api/verifications').send({ flow: 'inbound' }).expect(404);
    });
  });

  describe('DEMO_ENABLED=false', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ CREATE_DEFAULT_APP: 'true', DEMO_ENABLED: 'false' });
    });
    afterAll(() => t.close());

    it('has no demo API', async () => {
      await t.http.get('/demo/api/config').expect(404);
      await t.http.post('/demo/api/verifications').send({ flow: 'inbound' }).expect(404);
    });
  });

  describe('the page has words for every error code', () => {
    it.each(Object.keys(STRINGS))('%s: a message of its own for each code of the API', (lang) => {
      const t = STRINGS[lang as keyof typeof STRINGS];
      const generic = t.errors.internal_error;
      for (const code of Object.values(ErrorCode)) {
        expect({ code, has: code in t.errors }).toEqual({ code, has: true });
        if (code !== ErrorCode.INTERNAL_ERROR) expect(errorMessage(t, code)).not.toBe(generic);
      }
      expect(STRINGS.id.errors[ErrorCode.RATE_LIMITED]).not.toBe(STRINGS.en.errors.rate_limited);
    });
  });
});
