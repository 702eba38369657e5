/**
 * Dashboard preview: a picture of deploy/grafana/wa-verify-dashboard.json drawn from real data.
 *
 * Starts the built service (`npm run build` first; `npm run dashboard:preview` does both) and a
 * Prometheus scraping its /metrics every 2 s, drives a few minutes of mixed traffic, then runs every
 * panel's own PromQL against that Prometheus (query_range) and renders the panels where the
 * dashboard places them (dashboard-page.ts), screenshotted with Chromium into docs/images/dashboard.png.
 *
 * The outside world is played on 127.0.0.1: WhatsApp goes through the Meta adapter to a stand-in
 * Graph API that answers with a realistic latency, refuses some numbers (error 131026, so those fall
 * back to SMS) and posts signed status webhooks (sent, delivered, read) back like Meta does; SMS goes
 * through the sandbox provider; people read their codes from either and type them (or not), send the
 * prefilled inbound message (as signed Meta webhooks, a quarter through POST /v1/sandbox/inbound);
 * the app's webhook endpoint fails now and then and has one outage. Usage:
 *   npm run dashboard:preview -- [--duration 240] [--out docs/images/dashboard.png] [--data series.json]
 * Needs `prometheus` and `chromium` on the PATH (or PROMETHEUS_PATH / CHROMIUM_PATH). Everything
 * listens on 127.0.0.1, the run stops by itself and ends its child processes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Dashboard, queryPanels, renderDashboard, STEP_MS } from './dashboard-page';

const ROOT = resolve(__dirname, '..');
const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = randomBytes(16).toString('hex');
const SCRAPE_SECONDS = 2;
/** Traffic before the pictured range: the 1m rate windows fill up meanwhile. */
const WARM_UP_MS = 60_000;

interface Options {
  durationSeconds: number;
  out: string;
  /** Where to write the queried series as JSON too (optional). */
  data?: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const durationSeconds = Number(get('duration') ?? 240);
  if (!Number.isFinite(durationSeconds) || durationSeconds < 120 || durationSeconds > 900)
    throw new Error('--duration must be 120..900 seconds');
  const data = get('data');
  return {
    durationSeconds,
    out: resolve(get('out') ?? join(ROOT, 'docs/images/dashboard.png')),
    data: data === undefined ? undefined : resolve(data),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const chance = (p: number): boolean => Math.random() < p;
const between = (min: number, max: number): number => min + Math.random() * (max - min);
const digitsOf = (phone: string): string => phone.replace(/^\+/, '');

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function listen(server: Server): Promise<string> {
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      done(`http://127.0.0.1:${port}`);
    }),
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/** Where traffic comes from: the share of flows, how many people finish them, how often Meta refuses the number. */
interface Country {
  iso: string;
  weight: number;
  approve: number;
  refused: number;
  phone: () => string;
}

const digits = (n: number): string =>
  Array.from({ length: n }, () => String(randomInt(10))).join('');

const COUNTRIES: Country[] = [
  { iso: 'ID', weight: 30, approve: 0.86, refused: 0.01, phone: () => `+62812${digits(8)}` },
  { iso: 'IN', weight: 24, approve: 0.55, refused: 0.08, phone: () => `+9198${digits(8)}` },
  { iso: 'BR', weight: 18, approve: 0.74, refused: 0.02, phone: () => `+55119${digits(8)}` },
  { iso: 'US', weight: 15, approve: 0.8, refused: 0.01, phone: () => `+1650253${digits(4)}` },
  { iso: 'IT', weight: 13, approve: 0.92, refused: 0.01, phone: () => `+39333${digits(7)}` },
];
/** Numbers a pumping attack sends codes to (never typed). */
const pumpedPhone = (): string => `+99890${digits(7)}`;

function pickCountry(): Country {
  let roll = Math.random() * COUNTRIES.reduce((sum, c) => sum + c.weight, 0);
  for (const country of COUNTRIES) {
    roll -= country.weight;
    if (roll <= 0) return country;
  }
  return COUNTRIES[0];
}

function countryOf(phone: string): Country | undefined {
  const prefixes: [string, string][] = [
    ['+62', 'ID'],
    ['+91', 'IN'],
    ['+55', 'BR'],
    ['+1', 'US'],
    ['+39', 'IT'],
  ];
  const iso = prefixes.find(([prefix]) => phone.startsWith(prefix))?.[1];
  return COUNTRIES.find((c) => c.iso === iso);
}

function signature(raw: string): string {
  return `sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}`;
}

function metaNotification(value: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_NUMBER_ID },
              ...value,
            },
          },
        ],
      },
    ],
  });
}

/** A small counter of what happened, printed at the end (and useful when a panel looks odd). */
class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

class Preview {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly servers: Server[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly tempDirs: string[] = [];
  /** The last code the stand-in Graph API delivered per recipient (digits). */
  private readonly codes = new Map<string, string>();
  readonly tally = new Tally();
  private serviceUrl = '';
  private trafficStart = 0;
  private trafficEnd = Number.MAX_SAFE_INTEGER;
  /** Why a child process ended before its time, if one did. */
  private crash: string | null = null;

  constructor(private readonly options: Options) {}

  /** 0 at the start of the traffic, 1 at its end. */
  private progress(): number {
    return (Date.now() - this.trafficStart) / (this.trafficEnd - this.trafficStart);
  }

  private later(ms: number, task: () => Promise<unknown>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) task().catch(() => this.tally.add('error.background'));
    }, ms);
    this.timers.add(timer);
  }

  async run(): Promise<void> {
    const work = mkdtempSync(join(tmpdir(), 'wa-verify-dashboard-'));
    this.tempDirs.push(work);
    const graphUrl = await this.startFakeGraph();
    const receiverUrl = await this.startReceiver();
    const servicePort = await freePort();
    this.serviceUrl = `http://127.0.0.1:${servicePort}`;
    const adminKey = `preview-admin-${randomBytes(16).toString('hex')}`;
    this.spawn('wa-verify', process.execPath, [join(ROOT, 'dist/src/main.js')], {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(servicePort),
      DATA_DIR: work,
      DATABASE_URL: `sqlite:${join(work, 'wa-verify.sqlite')}`,
      ADMIN_API_KEY: adminKey,
      OTP_PEPPER: randomBytes(24).toString('hex'),
      CREATE_DEFAULT_APP: 'false',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      WHATSAPP_PROVIDER: 'meta',
      SMS_PROVIDER: 'sandbox',
      WHATSAPP_BUSINESS_NUMBER: '+15550001111',
      META_API_BASE_URL: graphUrl,
      META_ACCESS_TOKEN: 'preview-token',
      META_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: 'preview-verify-token',
      EXPIRY_SWEEP_INTERVAL: '5s',
      WEBHOOK_DISPATCH_INTERVAL: '500ms',
      WEBHOOK_TIMEOUT: '2s',
      WEBHOOK_RETRY_SCHEDULE: '5s,10s,20s,40s,1m,2m',
      WEBHOOK_BREAKER_COOLDOWN: '10s',
      WEBHOOK_BREAKER_MAX_COOLDOWN: '20s',
      RATE_LIMIT_API_KEY_PER_MINUTE: '600',
    });
    await this.waitFor(`${this.serviceUrl}/health/ready`, 60_000, 'wa-verify');

    const promPort = await freePort();
    const promUrl = `http://127.0.0.1:${promPort}`;
    const promConfig = join(work, 'prometheus.yml');
    writeFileSync(
      promConfig,
      [
        'global:',
        `  scrape_interval: ${SCRAPE_SECONDS}s`,
        `  evaluation_interval: ${SCRAPE_SECONDS}s`,
        'scrape_configs:',
        '  - job_name: wa-verify',
        '    metrics_path: /metrics',
        `    static_configs: [{ targets: ['127.0.0.1:${servicePort}'] }]`,
        '',
      ].join('\n'),
    );
    this.spawn('prometheus', process.env.PROMETHEUS_PATH ?? 'prometheus', [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    await this.waitFor(`${promUrl}/-/ready`, 60_000, 'prometheus');

    const shop = await this.createApp(adminKey, { name: 'Shop', webhookUrl: receiverUrl });
    const pump = await this.createApp(adminKey, { name: 'Marketplace' });
    const poller = await this.createApp(adminKey, { name: 'Back office' });

    this.trafficStart = Date.now();
    this.trafficEnd = this.trafficStart + this.options.durationSeconds * 1000;
    if (this.crash) throw new Error(this.crash);
    console.log(
      `traffic for ${this.options.durationSeconds} s against ${this.serviceUrl}, Prometheus on ${promUrl}`,
    );
    await Promise.all([
      this.arrivals(shop),
      this.pumping(pump),
      this.impatientUsers(shop),
      this.badKeyBurst(),
      this.pollingBurst(poller),
      this.probes(),
    ]);
    // The picture shows the traffic once it runs (the first minute fills the 1m rate windows), up
    // to one scrape after its end, on the query step so the last point sits at the right edge.
    if (this.crash) throw new Error(this.crash);
    const rangeEnd = this.trafficEnd + (SCRAPE_SECONDS + 1) * 1000;
    await sleep(Math.max(0, rangeEnd - Date.now()));
    const rangeStart =
      rangeEnd - Math.floor((rangeEnd - this.trafficStart - WARM_UP_MS) / STEP_MS) * STEP_MS;
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);

    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'deploy/grafana/wa-verify-dashboard.json'), 'utf8'),
    ) as Dashboard;
    const panels = await queryPanels(dashboard, promUrl, rangeStart, rangeEnd);
    for (const panel of panels)
      if (panel.type === 'timeseries' && panel.series.length === 0)
        console.warn(`panel without data: ${panel.title}`);
    if (this.options.data) writeFileSync(this.options.data, JSON.stringify(panels, null, 1));
    mkdirSync(dirname(this.options.out), { recursive: true });
    await renderDashboard(dashboard, panels, {
      out: this.options.out,
      workDir: work,
      from: rangeStart,
      to: rangeEnd,
    });
    console.log(JSON.stringify(this.tally, null, 2));
    console.log(`wrote ${this.options.out}`);
  }

  /** Ends the children (SIGTERM, then SIGKILL), closes the servers, removes the temporary files. */
  async cleanup(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(
      this.children.map(async (child) => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await Promise.race([exited, sleep(15_000)]);
        clearTimeout(timer);
      }),
    );
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(
      this.servers.map((server) => new Promise((done) => server.close(() => done(null)))),
    );
    for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
  }

  private spawn(name: string, command: string, args: string[], env?: Record<string, string>): void {
    const child = spawn(command, args, {
      env: env ?? { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString('utf8')).slice(-4000);
    });
    const failed = (reason: string): void => {
      if (this.stopped || this.crash) return;
      // Stops the traffic loops at once; run() reports it.
      this.crash = `${name} ${reason}:\n${errors}`;
      this.trafficEnd = Math.min(this.trafficEnd, Date.now());
    };
    child.on('error', (error) => failed(`could not run (${error.message})`));
    child.once('exit', (code, signal) => failed(`exited (${code ?? signal})`));
    this.children.push(child);
  }

  private async waitFor(url: string, timeoutMs: number, name: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.crash) throw new Error(this.crash);
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s`);
  }

  private async api(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    try {
      const res = await fetch(`${this.serviceUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON
      }
      this.tally.add(`http.${res.status}`);
      return { status: res.status, json };
    } catch {
      this.tally.add('http.error');
      return { status: 0, json: {} };
    }
  }

  private async createApp(adminKey: string, body: Record<string, unknown>): Promise<string> {
    const res = await this.api('POST', '/v1/apps', adminKey, body);
    if (res.status !== 201) throw new Error(`POST /v1/apps → ${res.status}`);
    return res.json.apiKey as string;
  }

  private async postMeta(raw: string, signed = true): Promise<number> {
    try {
      const res = await fetch(`${this.serviceUrl}/v1/webhooks/meta`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signed ? { 'x-hub-signature-256': signature(raw) } : {}),
        },
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  // ---- The outside world ----------------------------------------------------------------------

  /**
   * Stand-in for the Graph API: answers sends after a realistic delay, refuses some recipients
   * (131026, not a WhatsApp user) and reports delivery with signed status webhooks.
   */
  private async startFakeGraph(): Promise<string> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const body = JSON.parse((await readBody(req)) || '{}') as {
          to?: string;
          template?: { components?: { type?: string; parameters?: { text?: string }[] }[] };
        };
        const to = body.to ?? '';
        const phone = `+${to}`;
        const country = countryOf(phone);
        const pumped = phone.startsWith('+998');
        // Mostly 60-250 ms, now and then a slow answer.
        await sleep(chance(0.04) ? between(600, 1800) : between(60, 250));
        if (country && chance(country.refused)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: {
                message: 'Message undeliverable',
                type: 'OAuthException',
                code: 131026,
                error_data: { details: 'Message Undeliverable.' },
              },
            }),
          );
          return;
        }
        const code = body.template?.components?.find((c) => c.type === 'body')?.parameters?.[0]
          ?.text;
        if (code) this.codes.set(to, code);
        const messageId = `wamid.${randomBytes(16).toString('hex')}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            messaging_product: 'whatsapp',
            contacts: [{ input: to, wa_id: to }],
            messages: [{ id: messageId }],
          }),
        );
        const status = (name: string, extra: Record<string, unknown> = {}): string =>
          metaNotification({
            statuses: [
              {
                id: messageId,
                status: name,
                timestamp: String(Math.floor(Date.now() / 1000)),
                recipient_id: to,
                ...extra,
              },
            ],
          });
        let at = between(300, 1200);
        this.later(at, () => this.postMeta(status('sent')));
        if (pumped) return; // numbers bought for pumping never get the message
        if (chance(0.02)) {
          at += between(1000, 4000);
          this.later(at, () =>
            this.postMeta(
              status('failed', { errors: [{ code: 131026, title: 'Message undeliverable' }] }),
            ),
          );
          return;
        }
        at += between(500, 3000);
        this.later(at, () => this.postMeta(status('delivered')));
        if (chance(0.6)) {
          at += between(1000, 6000);
          this.later(at, () => this.postMeta(status('read')));
        }
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.servers.push(server);
    return listen(server);
  }

  /** The Shop's webhook endpoint: mostly fine, sometimes 500 or too slow, down for a while mid-run. */
  private async startReceiver(): Promise<string> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void readBody(req)
        .then(async () => {
          const t = this.progress();
          if (t > 0.42 && t < 0.6) {
            this.tally.add('receiver.outage');
            res.writeHead(503).end();
            return;
          }
          if (chance(0.03)) {
            this.tally.add('receiver.500');
            res.writeHead(500).end();
            return;
          }
          if (chance(0.02)) await sleep(2600); // beyond WEBHOOK_TIMEOUT
          this.tally.add('receiver.ok');
          if (!res.destroyed) res.writeHead(204).end();
        })
        .catch(() => res.destroy());
    });
    this.servers.push(server);
    return listen(server);
  }

  // ---- Traffic --------------------------------------------------------------------------------

  /** New flows arrive at a rate that swells and ebbs (0.6 to 1.4 per second), at most 80 at once. */
  private async arrivals(key: string): Promise<void> {
    const running = new Set<Promise<void>>();
    while (Date.now() < this.trafficEnd) {
      const t = (Date.now() - this.trafficStart) / 1000;
      const rate = 1 + 0.4 * Math.sin((2 * Math.PI * t) / 100);
      if (running.size < 80 && chance(rate / 10)) {
        const flow = (chance(0.75) ? this.outboundFlow(key) : this.inboundFlow(key)).catch(() =>
          this.tally.add('error.flow'),
        );
        running.add(flow);
        void flow.finally(() => running.delete(flow));
      }
      await sleep(100);
    }
    await Promise.race([Promise.all(running), sleep(20_000)]);
  }

  /**
   * The code as the person sees it: the newest SMS the sandbox holds for the number (a fallback
   * after a failed WhatsApp delivery sends one), else the WhatsApp template the Graph API got.
   */
  private async codeFor(key: string, phone: string): Promise<string | undefined> {
    const res = await this.api(
      'GET',
      `/v1/sandbox/messages?phone=${encodeURIComponent(phone)}`,
      key,
    );
    const messages = res.json as unknown as { text?: string }[];
    const text = Array.isArray(messages) ? messages[0]?.text : undefined;
    const viaSms = text ? /\b(\d{4,10})\b/.exec(text)?.[1] : undefined;
    return viaSms ?? this.codes.get(digitsOf(phone));
  }

  private async check(key: string, id: string, code: string): Promise<string> {
    const res = await this.api('POST', `/v1/verifications/${id}/check`, key, { code });
    return res.status === 200 ? String(res.json.status) : `http ${res.status}`;
  }

  /** A person asks for a code, then types it, mistypes it, gives up, cancels or comes back too late. */
  private async outboundFlow(key: string): Promise<void> {
    const country = pickCountry();
    const phone = country.phone();
    const sms = chance(0.2);
    const created = await this.api('POST', '/v1/verifications', key, {
      phone,
      channel: sms ? 'sms' : 'whatsapp',
      ...(sms ? {} : { fallbackChannels: ['sms'] }),
      ttlSeconds: 60,
    });
    if (created.status !== 201) return;
    const id = created.json.id as string;
    await sleep(between(3000, 12_000));
    if (this.stopped) return;
    const code = await this.codeFor(key, phone);
    if (!code) {
      this.tally.add('flow.no_code');
      return;
    }
    const wrong = code.slice(0, -1) + String((Number(code.slice(-1)) + 1) % 10);
    if (chance(country.approve)) {
      if (chance(0.15)) {
        await this.check(key, id, wrong);
        await sleep(between(2000, 5000));
      }
      this.tally.add(`flow.outbound.${await this.check(key, id, code)}`);
      return;
    }
    const fate = Math.random();
    if (fate < 0.2) {
      for (let i = 0; i < 5 && !this.stopped; i += 1) {
        await this.check(key, id, wrong);
        await sleep(between(800, 2500));
      }
      this.tally.add('flow.outbound.max_attempts');
    } else if (fate < 0.4) {
      await this.api('POST', `/v1/verifications/${id}/cancel`, key);
      this.tally.add('flow.outbound.canceled');
    } else if (fate < 0.6 && Date.now() + 70_000 < this.trafficEnd) {
      // Comes back after the code expired.
      await sleep(between(55_000, 65_000));
      this.tally.add(`flow.outbound.late.${await this.check(key, id, code)}`);
    } else {
      this.tally.add('flow.outbound.abandoned');
    }
  }

  /** A person gets a wa.me link and sends the prefilled message (a signed Meta webhook), or not. */
  private async inboundFlow(key: string): Promise<void> {
    const country = pickCountry();
    const withPhone = chance(0.85);
    const phone = country.phone();
    const created = await this.api('POST', '/v1/verifications', key, {
      flow: 'inbound',
      ...(withPhone ? { phone } : {}),
      ttlSeconds: 120,
    });
    if (created.status !== 201) return;
    if (!chance(Math.min(0.95, country.approve + 0.05))) {
      this.tally.add('flow.inbound.abandoned');
      return;
    }
    await sleep(between(3000, 10_000));
    if (this.stopped) return;
    if (chance(0.25)) {
      // Through the sandbox's inbound route, as the /demo page's phone simulator sends it.
      const res = await this.api('POST', '/v1/sandbox/inbound', key, {
        from: phone,
        text: created.json.waMessage as string,
      });
      this.tally.add(`flow.inbound.sandbox.${res.status}`);
      return;
    }
    const raw = metaNotification({
      contacts: [{ profile: { name: 'Customer' }, wa_id: digitsOf(phone) }],
      messages: [
        {
          from: digitsOf(phone),
          id: `wamid.${randomBytes(16).toString('hex')}`,
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: created.json.waMessage as string },
        },
      ],
    });
    this.tally.add(`flow.inbound.sent.${await this.postMeta(raw)}`);
    // Meta redelivers a notification now and then: the service must count it once.
    if (chance(0.1))
      this.later(between(1000, 5000), async () =>
        this.tally.add(`flow.inbound.redelivered.${await this.postMeta(raw)}`),
      );
  }

  /** Now and then someone asks for a code again and again: the per-phone limit answers 429. */
  private async impatientUsers(key: string): Promise<void> {
    await sleep(between(5000, 15_000));
    while (Date.now() < this.trafficEnd - 10_000) {
      const phone = pickCountry().phone();
      for (let i = 0; i < 7 && !this.stopped; i += 1) {
        const res = await this.api('POST', '/v1/verifications', key, { phone, ttlSeconds: 60 });
        this.tally.add(`impatient.${res.status}`);
        await sleep(between(800, 2000));
      }
      await sleep(between(10_000, 25_000));
    }
  }

  /** A client deployed with a revoked key keeps retrying: failed authentications get limited. */
  private async badKeyBurst(): Promise<void> {
    await sleep((this.trafficEnd - this.trafficStart) * 0.25);
    const stopAt = Date.now() + 30_000;
    const key = `wv_live_${randomBytes(24).toString('hex')}`;
    while (Date.now() < stopAt && Date.now() < this.trafficEnd) {
      await this.api('GET', '/v1/verifications?limit=1', key);
      await sleep(300);
    }
  }

  /** A back-office job polls far too fast for a while: its API key hits the per-key limit. */
  private async pollingBurst(key: string): Promise<void> {
    await sleep((this.trafficEnd - this.trafficStart) * 0.6);
    const stopAt = Date.now() + 40_000;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (Date.now() < stopAt && Date.now() < this.trafficEnd) {
          await this.api('GET', '/v1/verifications?limit=5', key);
          await sleep(120);
        }
      }),
    );
  }

  /** SMS/WhatsApp pumping: one app suddenly sends codes to one far country, and never checks any. */
  private async pumping(key: string): Promise<void> {
    const span = this.trafficEnd - this.trafficStart;
    await sleep(span * 0.3);
    const stopAt = this.trafficStart + span * 0.75;
    while (Date.now() < stopAt) {
      const res = await this.api('POST', '/v1/verifications', key, {
        phone: pumpedPhone(),
        ttlSeconds: 60,
      });
      this.tally.add(`pump.${res.status}`);
      await sleep(between(250, 450));
    }
  }

  /** Unsigned requests to the Meta webhook (scanners, a wrong app secret): refused. */
  private async probes(): Promise<void> {
    while (Date.now() < this.trafficEnd) {
      await sleep(between(4000, 20_000));
      const status = await this.postMeta(metaNotification({ statuses: [] }), false);
      this.tally.add(`probe.${status}`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const preview = new Preview(options);
  const watchdog = setTimeout(
    () => {
      console.error('dashboard preview: took too long, stopping');
      void preview.cleanup().finally(() => process.exit(1));
    },
    (options.durationSeconds + 240) * 1000,
  );
  const interrupt = (): void => {
    void preview.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await preview.run();
  } finally {
    clearTimeout(watchdog);
    await preview.cleanup();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
