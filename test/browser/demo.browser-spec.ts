import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { startApp, TestApp, uniquePhone } from '../support/harness';

/**
 * The /demo page in a real browser against the real app (sandbox providers, development app):
 * both flows end to end through the phone simulator, live status without a reload, an axe-core
 * accessibility check, and the screenshots the README shows.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const README_IMAGE = join(__dirname, '..', '..', 'docs', 'images', 'demo.png');
const AXE = require.resolve('axe-core/axe.min.js');
const UI_TIMEOUT = 15_000;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('/demo (browser)', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Script errors and Content-Security-Policy refusals (4xx answers the page shows are expected). */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startApp({ CREATE_DEFAULT_APP: 'true', NODE_ENV: 'development' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(`${t.url}/demo`);
    await page.getByRole('heading', { name: 'Phone simulator' }).waitFor();
    // Set once: if the page ever reloaded, this mark would be gone.
    await page.evaluate('window.loadedOnce = true');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(async () => {
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  it('outbound: phone, the code arrives in the simulator, copy it, a wrong one counts, the right one approves', async () => {
    const phone = uniquePhone();
    await page.getByLabel('Your WhatsApp number').fill(phone);
    await page.getByRole('button', { name: 'Send code' }).click();

    await page.getByText(`We sent a code to ${phone} on WhatsApp.`).waitFor();
    const otp = page.locator('.simulator .bubble.otp');
    await otp.waitFor();
    const code = (await otp.getAttribute('data-code'))!;
    expect(await otp.innerText()).toContain(`${code} is your wa-verify verification code`);
    expect(
      await page.getByRole('button', { name: /New code available in \d+ s/ }).isDisabled(),
    ).toBe(true);
    await page.getByText('5 attempts left').waitFor();

    // The code field has the focus: a wrong code is refused, with the attempts left.
    expect(await page.evaluate('document.activeElement.id')).toBe('code');
    await page.keyboard.type(code === '000000' ? '111111' : '000000');
    await page.keyboard.press('Enter');
    await page.getByText('That code is not right. 4 attempts left.').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'demo-outbound-code.png') });

    // The template's copy-code button puts the code on the clipboard.
    await otp.getByRole('button', { name: 'Copy code' }).click();
    await otp.getByRole('button', { name: 'Code copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(code);

    await page.getByLabel('Verification code').fill(code);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { name: `Verified: ${phone}` }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'demo-outbound-approved.png') });
  });

  it('inbound: Verify with WhatsApp shows the QR code; the simulator sends the prefilled message; approved without a reload', async () => {
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByRole('button', { name: 'Verify with WhatsApp' }).click();

    const qr = page.getByRole('img', { name: /QR code that opens WhatsApp/ });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\//);
    const waLink = await page.getByRole('link', { name: 'Or open WhatsApp on this computer' });
    expect(await waLink.getAttribute('href')).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
    await page.getByText('Waiting for your message…').waitFor();

    const message = page.getByLabel('Message', { exact: true });
    expect(await message.inputValue()).toMatch(/^Verify my number for wa-verify: /);
    const phone = uniquePhone();
    await page.getByLabel('This phone’s number').fill(phone);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-desktop.png') });
    await page.locator('.simulator').getByRole('button', { name: 'Send' }).click();

    await page.getByRole('heading', { name: `Verified: ${phone}` }).waitFor();
    await page
      .locator('.simulator .bubble.in')
      .filter({ hasText: 'Your number is verified.' })
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'demo-inbound-approved.png') });
  });

  it('inbound: a message from a real phone (the API, out of band) shows up live, by polling', async () => {
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByRole('button', { name: 'Verify with WhatsApp' }).click();
    const waMessage = await page.getByLabel('Message', { exact: true }).inputValue();
    expect(waMessage).toContain('Verify my number');
    const phone = uniquePhone();

    await t.http
      .post('/v1/sandbox/inbound')
      .set('Authorization', `Bearer ${t.config.developmentAppApiKey}`)
      .send({ from: phone, text: waMessage })
      .expect(200);

    await page.getByRole('heading', { name: `Verified: ${phone}` }).waitFor();
  });

  it('on a phone, Verify with WhatsApp offers to open WhatsApp instead of a QR code', async () => {
    const phoneContext = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
    });
    try {
      const phonePage = await phoneContext.newPage();
      phonePage.setDefaultTimeout(UI_TIMEOUT);
      await phonePage.goto(`${t.url}/demo`);
      await phonePage.getByRole('button', { name: 'Verify with WhatsApp' }).tap();
      const open = phonePage.getByRole('link', { name: 'Open WhatsApp', exact: true });
      expect(await open.getAttribute('href')).toMatch(/^https:\/\/wa\.me\/\d+\?text=Verify/);
      expect(await phonePage.getByRole('img', { name: /QR code/ }).count()).toBe(0);
      await phonePage.screenshot({ path: join(ARTIFACTS, 'demo-phone-inbound.png') });
    } finally {
      await phoneContext.close();
    }
  });

  it('speaks Indonesian, with every error in it', async () => {
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByLabel('Language').selectOption('id');
    await page.getByRole('heading', { name: 'Verifikasi dengan WhatsApp', level: 1 }).waitFor();
    await page.waitForFunction("document.documentElement.lang === 'id'", undefined, {
      timeout: 5_000,
    });
    await page.getByLabel('Nomor WhatsApp Anda').fill('12');
    await page.getByRole('button', { name: 'Kirim kode' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nomor telepon tidak valid' }).waitFor();
    expect(await page.getByLabel('Nomor WhatsApp Anda').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Bahasa').selectOption('en');
    await page.getByRole('heading', { name: 'Verify with WhatsApp', level: 1 }).waitFor();
  });

  it('has no serious or critical axe-core violations, on a desktop and at 375 px', async () => {
    // axe is injected in its own context that bypasses the page's CSP (the page itself keeps it).
    const axeContext = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
    try {
      const axePage = await axeContext.newPage();
      axePage.setDefaultTimeout(UI_TIMEOUT);
      for (const width of [1280, 375]) {
        await axePage.setViewportSize({ width, height: 900 });
        await axePage.goto(`${t.url}/demo`);
        await axePage.getByRole('heading', { name: 'Phone simulator' }).waitFor();
        expect(await serious(axePage)).toEqual([]);
        if (width === 375)
          await axePage.screenshot({ path: join(ARTIFACTS, 'demo-375.png'), fullPage: true });

        // The code step, with the OTP template in the simulator.
        await axePage.getByLabel('Your WhatsApp number').fill(uniquePhone());
        await axePage.getByRole('button', { name: 'Send code' }).click();
        await axePage.locator('.simulator .bubble.otp').waitFor();
        expect(await serious(axePage)).toEqual([]);
        if (width === 375)
          await axePage.screenshot({ path: join(ARTIFACTS, 'demo-375-code.png'), fullPage: true });

        // The inbound step, with the QR code and the simulator's send box.
        await axePage.getByRole('button', { name: 'Use another way' }).click();
        await axePage.getByRole('button', { name: 'Verify with WhatsApp' }).click();
        await axePage.getByRole('img', { name: /QR code/ }).waitFor();
        expect(await serious(axePage)).toEqual([]);
      }
      // The page fits a phone-sized screen: nothing scrolls sideways at 375 px.
      expect(
        await axePage.evaluate('[document.documentElement.scrollWidth, window.innerWidth]'),
      ).toEqual([375, 375]);
      await axePage.screenshot({ path: join(ARTIFACTS, 'demo-375-inbound.png'), fullPage: true });
    } finally {
      await axeContext.close();
    }
    if (process.env.UPDATE_README_SCREENSHOTS === '1')
      copyFileSync(join(ARTIFACTS, 'demo-desktop.png'), README_IMAGE);
  });
});

async function serious(page: Page): Promise<string[]> {
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate('axe.run().then((result) => result.violations)');
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
