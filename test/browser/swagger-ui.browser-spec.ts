import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import {
  codeIn,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from '../support/harness';

/**
 * The README's Swagger UI walkthrough, in a real browser against the real app: Authorize once
 * with the app key in `apiKey`, then the outbound and the inbound flow with "Try it out" alone.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const UI_TIMEOUT = 15_000;

interface Shown {
  status: number;
  body: Record<string, unknown> & Array<Record<string, unknown>>;
}

describe('Swagger UI (browser)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startApp();
    tenant = await createTenant(t, { name: 'Swagger walkthrough', brandName: 'Acme' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    await page.goto(`${t.url}/docs`);
    await authorizeOnce(page, tenant.apiKey);
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-authorized.png') });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('outbound: create, read the code from the sandbox, check → approved', async () => {
    const phone = uniquePhone();

    const created = await tryItOut(page, 'verifications', 'createVerification', {
      body: { phone },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ flow: 'outbound', phone, status: 'pending' });

    const messages = await tryItOut(page, 'sandbox', 'listSandboxMessages', {
      params: { phone },
    });
    expect(messages.status).toBe(200);
    expect(messages.body[0]).toMatchObject({ to: phone, channel: 'whatsapp' });
    const code = codeIn(String(messages.body[0].text));

    const checked = await tryItOut(page, 'verifications', 'checkVerification', {
      params: { id: String(created.body.id) },
      body: { code },
    });
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ id: created.body.id, status: 'approved', valid: true });
    await operation(page, 'verifications', 'checkVerification').screenshot({
      path: join(ARTIFACTS, 'swagger-outbound-check.png'),
    });
  });

  it('inbound: create, the person sends waMessage, approved, the reply is in the sandbox', async () => {
    const phone = uniquePhone();

    const created = await tryItOut(page, 'verifications', 'createVerification', {
      body: { flow: 'inbound' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ flow: 'inbound', status: 'pending' });
    expect(String(created.body.waLink)).toMatch(/^https:\/\/wa\.me\//);
    const waMessage = String(created.body.waMessage);

    const sent = await tryItOut(page, 'sandbox', 'sendSandboxInbound', {
      body: { from: phone, text: waMessage },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ accepted: true });

    const read = await tryItOut(page, 'verifications', 'getVerification', {
      params: { id: String(created.body.id) },
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, status: 'approved', phone });

    const messages = await tryItOut(page, 'sandbox', 'listSandboxMessages', {
      params: { phone },
    });
    expect(messages.status).toBe(200);
    expect(messages.body).toHaveLength(1);
    expect(messages.body[0]).toMatchObject({ to: phone, channel: 'whatsapp' });
    await operation(page, 'sandbox', 'listSandboxMessages').screenshot({
      path: join(ARTIFACTS, 'swagger-inbound-reply.png'),
    });
  });

  it('lists the client webhooks with their signature headers', async () => {
    const webhooks = page.locator('[id^="operations-webhooks-"]');
    await webhooks.first().scrollIntoViewIfNeeded();
    expect(await webhooks.count()).toBe(6);
    const approved = page.locator('[id="operations-webhooks-onVerificationApproved"]');
    await approved.locator('.opblock-summary-control').click();
    for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
      await approved.locator(`tr[data-param-name="${header}"]`).waitFor();
    await approved.screenshot({ path: join(ARTIFACTS, 'swagger-webhook-approved.png') });
  });
});

/** Authorize → paste the key into `apiKey` → Authorize → Close, as the README says. */
async function authorizeOnce(page: Page, apiKey: string): Promise<void> {
  await page.locator('.auth-wrapper button.authorize').click();
  const scheme = page
    .locator('.auth-container')
    .filter({ has: page.locator('h4 code', { hasText: /^apiKey$/ }) });
  await scheme.locator('input[aria-label="auth-bearer-value"]').fill(apiKey);
  await scheme.locator('button', { hasText: 'Authorize' }).click();
  await scheme.locator('button', { hasText: 'Logout' }).waitFor();
  await scheme.locator('button', { hasText: 'Close' }).click();
  await page.locator('.modal-ux').waitFor({ state: 'detached' });
}

function operation(page: Page, tag: string, operationId: string): Locator {
  return page.locator(`[id="operations-${tag}-${operationId}"]`);
}

/** Expand → Try it out → fill parameters and body → Execute; returns the response Swagger UI shows. */
async function tryItOut(
  page: Page,
  tag: string,
  operationId: string,
  input: { params?: Record<string, string>; body?: unknown },
): Promise<Shown> {
  const block = operation(page, tag, operationId);
  if (!(await block.evaluate((el) => el.classList.contains('is-open'))))
    await block.locator('.opblock-summary-control').click();
  if (!(await block.locator('button.try-out__btn.cancel').isVisible()))
    await block.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
  for (const [name, value] of Object.entries(input.params ?? {}))
    await block.locator(`tr[data-param-name="${name}"] input`).fill(value);
  if (input.body !== undefined)
    await block.locator('textarea.body-param__text').fill(JSON.stringify(input.body, null, 2));
  const clear = block.locator('button.btn-clear');
  if (await clear.isVisible()) await clear.click();
  await block.locator('button.execute').click();
  const response = block.locator('.live-responses-table tbody .response');
  const status = Number((await response.locator('.response-col_status').innerText()).trim());
  const text = await response
    .locator('.response-col_description pre.microlight')
    .first()
    .innerText();
  return { status, body: JSON.parse(text) as Shown['body'] };
}
