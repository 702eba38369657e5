import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import {
  ADMIN_KEY,
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from '../support/harness';
import { hourStart, seedVelocityCounter } from '../support/velocity-counters';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The /console page in a real browser against the real app: sign-in with an app key, a verification
 * just made and its timeline, a failed client webhook retried from the console, the admin's keys and
 * country blocks, and an axe-core check of every page. Screenshots go to test/artifacts/; the
 * verifications page is also copied to docs/images/console.png for the README when
 * UPDATE_README_SCREENSHOTS=1.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const README_IMAGE = join(__dirname, '..', '..', 'docs', 'images', 'console.png');
const AXE = join(__dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
const UI_TIMEOUT = 15_000;
// Three quick attempts, then the delivery is `failed` (a manual retry sends a fourth).
const RETRIES = { WEBHOOK_RETRY_SCHEDULE: '100ms,100ms', WEBHOOK_TIMEOUT: '2s' };
// App names unique per run: on a shared database (MariaDB) the admin sees earlier runs' apps too.
const RUN = Date.now().toString(36);
const APP_NAME = `Acme Shop ${RUN}`;
const CREATED_NAME = `Created ${RUN}`;

describe('Console (browser)', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let tenant: TestTenant;
  let hookUrl: string;
  let phone: string;
  let verificationId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Content-Security-Policy violations the browser reported on any page. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await receiver.start();
    t = await startApp(RETRIES);
    hookUrl = receiver.expect([]);
    tenant = await createTenant(t, { name: APP_NAME, webhookUrl: hookUrl });
    receiver.setSecrets(hookUrl, [tenant.webhookSecret]);
    receiver.failAll(hookUrl, 500);

    phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    verificationId = created.body.id;
    await t.http
      .post(`/v1/verifications/${verificationId}/check`)
      .set(tenant.auth)
      .send({ code: await sandboxCodeFor(t, tenant, phone) })
      .expect(200);
    await t.http.post('/v1/verifications').set(tenant.auth).send({ flow: 'inbound' }).expect(201);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver.stop();
  });

  it('signs in with an app key and shows a verification just made, with its timeline', async () => {
    await page.goto(`${t.url}/console`);
    await signIn(page, tenant.apiKey);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(1);
    await expect(navLinks(page)).resolves.toEqual([
      'Verifications',
      'Webhook deliveries',
      'Audit events',
      'Conversion',
    ]);

    const row = page.locator(`tr[data-verification-id="${verificationId}"]`);
    await row.getByText('approved').waitFor();
    await row.getByRole('button', { name: /Timeline/ }).click();
    const timeline = page.locator('section.timeline');
    for (const type of ['verification.created', 'message.sent', 'check.succeeded'])
      await timeline.getByText(type, { exact: true }).first().waitFor();
    const masked = `${phone.slice(0, 6)}${'*'.repeat(phone.length - 10)}${phone.slice(-4)}`;
    await timeline.getByText(masked).first().waitFor();
    // The full number appears nowhere on the page: the list and the timeline mask it.
    expect(await page.locator('body').innerText()).not.toContain(phone);

    await page.screenshot({ path: join(ARTIFACTS, 'console-verifications.png'), fullPage: true });
    mkdirSync(join(README_IMAGE, '..'), { recursive: true });
    if (process.env.UPDATE_README_SCREENSHOTS === '1')
      copyFileSync(join(ARTIFACTS, 'console-verifications.png'), README_IMAGE);

    await page.getByLabel('Flow').selectOption('inbound');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('status').getByText('1 verification shown.').waitFor();
    expect(await page.locator(`tr[data-verification-id="${verificationId}"]`).count()).toBe(0);
  });

  it('retries a failed webhook delivery from the console and shows the new attempt', async () => {
    const failed = await waitFor(async () => {
      const res = await t.http
        .get('/v1/webhook-deliveries')
        .query({ status: 'failed' })
        .set(tenant.auth)
        .expect(200);
      return res.body.data[0] as { id: string; attempts: number } | undefined;
    });
    expect(failed.attempts).toBe(3);

    await openPage(page, 'Webhook deliveries');
    const row = page.locator(`tr[data-delivery-id="${failed.id}"]`);
    await row.getByTestId('attempts').getByText('3', { exact: true }).waitFor();
    await row.getByRole('button', { name: /Retry/ }).click();
    await row.getByTestId('attempts').getByText('4', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/sent again: attempt 4/)
      .waitFor();
    expect(receiver.at(hookUrl)).toHaveLength(4);

    await row.getByRole('button', { name: /Attempts/ }).click();
    const attempts = page.getByRole('region', { name: /Attempts of delivery/ });
    await attempts.getByRole('cell', { name: 'HTTP 500' }).nth(3).waitFor();
    await expect(attempts.locator('tbody tr').count()).resolves.toBe(4);
    await page.screenshot({ path: join(ARTIFACTS, 'console-deliveries.png'), fullPage: true });
  });

  it('shows the audit trail and the conversion chart by country and channel', async () => {
    await openPage(page, 'Audit events');
    await page.getByRole('cell', { name: 'webhook.retry_requested' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-audit.png'), fullPage: true });

    await openPage(page, 'Conversion');
    const row = page.getByRole('row', { name: /ID · whatsapp/ });
    await row.waitFor();
    // Two verifications created (one inbound, which has no phone yet: ZZ), one approved.
    await expect(row.locator('td').allInnerTexts()).resolves.toEqual([
      '1',
      '1',
      '0',
      '1',
      '0',
      '0',
      '100.0%',
    ]);
    await page.locator('canvas[role="img"]').waitFor();
    // Chart.js drew the bars: the canvas is not blank.
    const painted = await page.locator('canvas').evaluate((canvas) => {
      const { width, height } = canvas as unknown as { width: number; height: number };
      const context = (
        canvas as unknown as {
          getContext(kind: '2d'): { getImageData(...box: number[]): { data: Uint8ClampedArray } };
        }
      ).getContext('2d');
      return context
        .getImageData(0, 0, width, height)
        .data.some((value, i) => i % 4 === 3 && value > 0);
    });
    expect(painted).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'console-conversion.png'), fullPage: true });
  });

  it('signs out and forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('API key').waitFor();
  });

  it('goes back to sign-in when the key is revoked while signed in', async () => {
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const added = await t.http.post(`/v1/apps/${tenant.appId}/api-keys`).set(admin).expect(201);
    await signIn(page, added.body.apiKey);
    // The landing page's list must have loaded with the key still valid: revoked earlier, that
    // first request would already send the console back to sign-in (and detach the nav).
    await page.getByText(/\d+ verifications? shown/).waitFor();
    await t.http
      .delete(`/v1/apps/${tenant.appId}/api-keys/${added.body.id}`)
      .set(admin)
      .expect(204);
    await page.getByRole('navigation').getByRole('link', { name: 'Audit events' }).click();
    await page
      .getByRole('alert')
      .getByText(/no longer accepts this key/)
      .waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });

  it('admin: creates an app and a key, rotates the webhook secret (each shown once) and lifts a country block', async () => {
    await seedVelocityCounter(t, tenant.appId, '49', hourStart(), 100);
    await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone('+49151') })
      .expect(403);

    await signIn(page, 'not-a-key');
    await page
      .getByRole('alert')
      .getByText(/not valid/)
      .waitFor();
    await signIn(page, ADMIN_KEY);
    await expect(navLinks(page)).resolves.toEqual([
      'Audit events',
      'Conversion',
      'Country blocks',
      'Apps and keys',
    ]);

    await openPage(page, 'Apps and keys');
    const card = page.locator('article', { has: page.getByRole('heading', { name: APP_NAME }) });
    await card.getByRole('button', { name: /New API key/ }).click();
    const secret = page.getByTestId('one-time-secret');
    const newKey = (await secret.innerText()).trim();
    expect(newKey).toMatch(/^wav_/);
    await t.http.get('/v1/verifications').set('Authorization', `Bearer ${newKey}`).expect(200);
    // Shown once: the console keeps it nowhere.
    expect(await page.evaluate<string>('JSON.stringify(sessionStorage)')).not.toContain(newKey);
    await card.locator('tbody tr').nth(1).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-apps.png'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await secret.count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain(newKey);

    await card.getByRole('button', { name: /Rotate webhook secret/ }).click();
    await expect(secret.innerText()).resolves.toMatch(/^whsec_/);
    const rotated = (await secret.innerText()).trim();
    expect(rotated).not.toBe(tenant.webhookSecret);
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByLabel('Name').fill(CREATED_NAME);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: CREATED_NAME }).waitFor();
    const [createdKey, createdSecret] = (await secret.allInnerTexts()).map((text) => text.trim());
    expect(createdKey).toMatch(/^wav_/);
    expect(createdSecret).toMatch(/^whsec_/);
    await t.http.get('/v1/verifications').set('Authorization', `Bearer ${createdKey}`).expect(200);
    const stored = await page.evaluate<string>('JSON.stringify(sessionStorage)');
    for (const value of [rotated, createdKey, createdSecret]) expect(stored).not.toContain(value);

    await openPage(page, 'Conversion');
    await page.getByRole('combobox', { name: /^App/ }).selectOption(tenant.appId);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(
      page
        .getByRole('row', { name: /ID · whatsapp/ })
        .locator('td')
        .first()
        .innerText(),
    ).resolves.toBe('1');

    await openPage(page, 'Country blocks');
    await page.getByRole('combobox', { name: /^App/ }).selectOption(tenant.appId);
    const block = page.getByRole('row', { name: /\+49/ });
    await block.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-blocks.png'), fullPage: true });
    await block.getByRole('button', { name: /Lift/ }).click();
    await page.getByRole('status').getByText('The block of +49 is lifted.').waitFor();
    const app = await t.http
      .get(`/v1/apps/${tenant.appId}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    expect(app.body.countryBlocks).toEqual([]);
  });

  it('has no serious or critical accessibility violations, fits 375px and breaks no CSP rule', async () => {
    const axe = readFileSync(AXE, 'utf8');
    const phoneSized = await browser.newPage({ viewport: { width: 375, height: 740 } });
    phoneSized.setDefaultTimeout(UI_TIMEOUT);
    phoneSized.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const problems: string[] = [];
    const check = async (p: Page, name: string) => {
      // Evaluated through the DevTools protocol, which the page's CSP does not govern.
      await p.evaluate(axe);
      const found = await p.evaluate(async () => {
        const result = await (
          globalThis as unknown as {
            axe: {
              run(options: object): Promise<{
                passes: unknown[];
                violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
              }>;
            };
          }
        ).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice'] } });
        // No passing rule at all would mean axe looked at nothing.
        if (result.passes.length === 0) return ['axe checked nothing'];
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      problems.push(...found.map((f) => `${name}: ${f}`));
      const overflow = await p.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      if (overflow > 0) problems.push(`${name}: ${overflow}px wider than the screen`);
    };

    await phoneSized.goto(`${t.url}/console`);
    await check(phoneSized, 'sign-in');
    await signIn(phoneSized, tenant.apiKey);
    await phoneSized
      .getByRole('button', { name: /Timeline/ })
      .first()
      .click();
    await phoneSized.locator('section.timeline ol li').first().waitFor();
    await check(phoneSized, 'verifications');
    await phoneSized.screenshot({ path: join(ARTIFACTS, 'console-375px.png'), fullPage: true });
    for (const name of ['Webhook deliveries', 'Audit events', 'Conversion']) {
      await openPage(phoneSized, name);
      await check(phoneSized, name);
    }
    // The key survives a reload of the tab; the keyboard reaches "Skip to content" first, and it
    // moves focus to the page without leaving it.
    await phoneSized.reload();
    await phoneSized.getByRole('heading', { level: 2, name: 'Conversion' }).waitFor();
    await phoneSized.keyboard.press('Tab');
    await expect(phoneSized.evaluate<string>('document.activeElement.textContent')).resolves.toBe(
      'Skip to content',
    );
    await phoneSized.keyboard.press('Enter');
    await expect(phoneSized.evaluate<string>('document.activeElement.id')).resolves.toBe('main');
    await phoneSized.getByRole('heading', { level: 2, name: 'Conversion' }).waitFor();
    expect(new URL(phoneSized.url()).hash).toBe('#/conversion');

    await phoneSized.getByRole('button', { name: 'Sign out' }).click();
    await signIn(phoneSized, ADMIN_KEY);
    for (const name of ['Apps and keys', 'Country blocks']) {
      await openPage(phoneSized, name);
      await check(phoneSized, name);
    }
    await phoneSized.close();
    expect(problems).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (key === 'not-a-key') return;
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function navLinks(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Console pages' }).getByRole('link').allInnerTexts();
}

/** Follows a nav link and waits until the page's results are announced. */
async function openPage(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 2, name }).waitFor();
  await page
    .getByRole('status')
    .first()
    .filter({ hasNotText: /Loading/ })
    .waitFor();
}
