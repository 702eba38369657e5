import request from 'supertest';
import { startApp, TestApp } from './support/harness';

/**
 * The pages are served by the service itself (built by `npm run build:web`, which `npm test` runs
 * first), behind DEMO_ENABLED / CONSOLE_ENABLED, with a Content-Security-Policy that allows nothing
 * from another origin and no inline script.
 */
describe('web pages: /demo and /console', () => {
  describe('enabled (development defaults)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ NODE_ENV: 'development' });
    });
    afterAll(() => t.close());

    it.each(['demo', 'console'])('GET /%s is the built page with a strict CSP', async (page) => {
      const res = await t.http.get(`/${page}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
      expect(csp).toContain("frame-ancestors 'none'");
      // Built by Vite: a module script from /web/assets, nothing inline, nothing from elsewhere.
      const scripts = [...res.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toMatch(/src="\/web\/assets\/[^"]+\.js"/);
      expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    });

    it('serves the assets a page names, with the same CSP and a long cache', async () => {
      const html = (await t.http.get('/demo').expect(200)).text;
      const src = /src="(\/web\/assets\/[^"]+\.js)"/.exec(html)![1];
      const res = await t.http.get(src).expect(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['cache-control']).toContain('immutable');
    });

    it('does not serve the HTML under /web (only the routes that honour the flags do)', async () => {
      await t.http.get('/web/demo/index.html').expect(404);
      const escape = await t.http.get('/web/../package.json');
      expect(escape.status).toBeGreaterThanOrEqual(400);
      expect(escape.status).toBeLessThan(500);
      expect(escape.text).not.toContain('"name": "wa-verify"');
    });
  });

  describe('disabled', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ DEMO_ENABLED: 'false', CONSOLE_ENABLED: 'false' });
    });
    afterAll(() => t.close());

    it.each(['demo', 'console'])('GET /%s answers 404 not_found', async (page) => {
      const res = await request(t.url).get(`/${page}`).expect(404);
      expect(res.body).toMatchObject({ code: 'not_found' });
    });
  });
});
