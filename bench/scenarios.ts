/**
 * The measured scenarios. Each runs against one target (a service, or the SQL floor, on one
 * database) and returns ops/s, latency percentiles, CPU per operation of the server and of the
 * database server, and the server's peak resident memory during the scenario.
 */
import { v7 as uuidv7 } from 'uuid';
import { metaInboundText, metaSignature } from '../test/support/meta-notifications';
import { BenchDatabase, Engine } from './database';
import { FakeGraph } from './fake-graph';
import { closedLoop, HttpClient, inParallel, LoopResult, Outcome, percentile } from './load';
import { ServerProcess, ServiceSecrets } from './processes';
import { cpuMs, RssSampler } from './proc-stats';

export const SCENARIOS = ['floor', 'outbound', 'wrong-check', 'get', 'inbound'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What the growth stage measures with the small and the large table. */
export const GROWTH_SCENARIOS: ScenarioName[] = ['wrong-check', 'get', 'inbound'];

/** The growth stage's small table has `--small-rows` rows (~10 k), its large one `--growth-rows` (~1 M). */
export type Stage = 'main' | 'small-table' | 'large-table';

export interface ScenarioResult {
  engine: Engine;
  stage: Stage;
  round: number;
  scenario: ScenarioName;
  /** Verification rows in the service's table when the scenario started. */
  rows: number | null;
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  serverCpuMsPerOp: number | null;
  dbCpuMsPerOp: number | null;
  /** Highest VmRSS of the server process sampled during the scenario. */
  rssPeakMb: number | null;
  /** CPU of the bench process itself (the load generator) per operation: is it the bottleneck? */
  loadGeneratorCpuMsPerOp: number | null;
  note?: string;
}

export interface RunSettings {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  inboundMessages: number;
}

/** One database with its service (and, in the main stage, its SQL floor server). */
export interface Target {
  engine: Engine;
  db: BenchDatabase;
  service: ServerProcess;
  api: HttpClient;
  floor: ServerProcess | null;
  floorApi: HttpClient | null;
  graph: FakeGraph;
  secrets: ServiceSecrets;
  apiKey: string;
  appId: string;
  databasePid: number | null;
  /** Verification ids of the bench app that GET reads. */
  getIds: string[];
  /** Wrong checks per second to size the next pool for (grows with what was measured). */
  wrongRateGuess: number;
  /** Stops the servers and removes the database. */
  release: () => Promise<void>;
}

let phoneCounter = 0;
/** A new Indonesian mobile number per verification (each target's graph keeps codes by phone). */
export function nextPhone(): string {
  phoneCounter += 1;
  return `+62812${String(10_000_000 + phoneCounter).slice(-8)}`;
}

/** Creates a verification through the API; its id (and the inbound text for inbound ones). */
export async function createVerification(
  target: Target,
  flow: 'outbound' | 'inbound',
  apiKey = target.apiKey,
): Promise<{ id: string; phone: string; waMessage?: string } | null> {
  const phone = nextPhone();
  const res = await target.api
    .json('POST', '/v1/verifications', { phone, flow, ttlSeconds: 3600 }, apiKey)
    .catch(() => null);
  if (!res || res.status !== 201 || !res.json) return null;
  return { id: res.json.id as string, phone, waMessage: res.json.waMessage as string | undefined };
}

class Meter {
  private server0: number | null = null;
  private db0: number | null = null;
  private server1: number | null = null;
  private db1: number | null = null;
  private own0: NodeJS.CpuUsage | null = null;
  private ownMs: number | null = null;
  private readonly rss: RssSampler;

  constructor(
    private readonly serverPid: number | null,
    private readonly databasePid: number | null,
  ) {
    this.rss = new RssSampler(serverPid).start();
  }

  mark(phase: 'start' | 'end'): void {
    if (phase === 'start') {
      this.server0 = cpuMs(this.serverPid);
      this.db0 = cpuMs(this.databasePid);
      this.own0 = process.cpuUsage();
    } else {
      this.server1 = cpuMs(this.serverPid);
      this.db1 = cpuMs(this.databasePid);
      const own = process.cpuUsage(this.own0 ?? undefined);
      this.ownMs = (own.user + own.system) / 1000;
    }
  }

  result(
    base: Pick<ScenarioResult, 'engine' | 'stage' | 'round' | 'scenario' | 'rows'>,
    loop: LoopResult,
    note?: string,
  ): ScenarioResult {
    const perOp = (a: number | null, b: number | null): number | null =>
      a === null || b === null || loop.ops === 0 ? null : (b - a) / loop.ops;
    return {
      ...base,
      ops: loop.ops,
      errors: loop.errors,
      seconds: loop.seconds,
      opsPerSecond: loop.seconds > 0 ? loop.ops / loop.seconds : 0,
      p50Ms: percentile(loop.latencies, 50),
      p99Ms: percentile(loop.latencies, 99),
      serverCpuMsPerOp: perOp(this.server0, this.server1),
      dbCpuMsPerOp: perOp(this.db0, this.db1),
      rssPeakMb: this.rss.stop(),
      loadGeneratorCpuMsPerOp: this.ownMs === null ? null : perOp(0, this.ownMs),
      ...(note ? { note } : {}),
    };
  }
}

/** Runs one scenario on a target. */
export async function runScenario(
  target: Target,
  scenario: ScenarioName,
  stage: Stage,
  round: number,
  settings: RunSettings,
): Promise<ScenarioResult> {
  // The floor has its own table: the service's row count says nothing about it.
  const rows = scenario === 'floor' ? null : await target.db.count();
  const base = { engine: target.engine, stage, round, scenario, rows };
  switch (scenario) {
    case 'floor':
      return floorFlow(target, settings, base);
    case 'outbound':
      return outboundFlow(target, settings, base);
    case 'wrong-check':
      return wrongCheck(target, settings, base);
    case 'get':
      return getVerification(target, settings, base);
    case 'inbound':
      return inboundWebhook(target, settings, base);
  }
}

type Base = Pick<ScenarioResult, 'engine' | 'stage' | 'round' | 'scenario' | 'rows'>;

function loop(
  settings: RunSettings,
  meter: Meter,
  op: (client: number) => Promise<Outcome>,
): Promise<LoopResult> {
  return closedLoop({
    concurrency: settings.concurrency,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    op,
    onMeasure: (phase) => meter.mark(phase),
  });
}

/** The floor's flow: INSERT, then the conditional UPDATE. */
async function floorFlow(
  target: Target,
  settings: RunSettings,
  base: Base,
): Promise<ScenarioResult> {
  const floor = target.floorApi;
  if (!floor || !target.floor) throw new Error('the floor server is not running');
  const meter = new Meter(target.floor.pid, target.databasePid);
  const result = await loop(settings, meter, async () => {
    const created = await floor.json('POST', '/v1/verifications', { phone: nextPhone() });
    if (created.status !== 201 || !created.json) return false;
    const checked = await floor.json(
      'POST',
      `/v1/verifications/${created.json.id as string}/check`,
      { code: created.json.code },
    );
    return checked.status === 200 && checked.json?.valid === true;
  });
  return meter.result(base, result);
}

/** A full outbound flow: create (the code goes out through the fake Graph API), then the right check. */
async function outboundFlow(
  target: Target,
  settings: RunSettings,
  base: Base,
): Promise<ScenarioResult> {
  const meter = new Meter(target.service.pid, target.databasePid);
  const result = await loop(settings, meter, async () => {
    const phone = nextPhone();
    const created = await target.api.json('POST', '/v1/verifications', { phone }, target.apiKey);
    if (created.status !== 201 || !created.json) return false;
    const id = created.json.id as string;
    const checked = await target.api.json(
      'POST',
      `/v1/verifications/${id}/check`,
      { code: target.graph.takeCode(phone) },
      target.apiKey,
    );
    if (target.getIds.length < 50_000) target.getIds.push(id);
    return checked.status === 200 && checked.json?.valid === true;
  });
  return meter.result(base, result);
}

/** Wrong codes against a pool of pending verifications, four per verification (the fifth would close it). */
async function wrongCheck(
  target: Target,
  settings: RunSettings,
  base: Base,
): Promise<ScenarioResult> {
  const template = await createVerification(target, 'outbound');
  if (!template) throw new Error('could not create the wrong-check template verification');
  const code = target.graph.takeCode(template.phone);
  const wrong = code === '000000' ? '111111' : '000000';
  const seconds = (settings.durationMs + settings.warmupMs) / 1000;
  const size = Math.max(100, Math.ceil((target.wrongRateGuess * seconds) / 4));
  const ids = Array.from({ length: size }, () => uuidv7());
  // Copies of a verification created through the API: a realistic row, made in milliseconds.
  await target.db.cloneVerification(template.id, ids);
  for (const id of ids) if (target.getIds.length < 50_000) target.getIds.push(id);
  let next = 0;
  const meter = new Meter(target.service.pid, target.databasePid);
  const result = await loop(settings, meter, async () => {
    const i = next++;
    if (i >= ids.length * 4) return null;
    // Round robin over the pool: checks of one verification are a pool's length apart.
    const checked = await target.api.json(
      'POST',
      `/v1/verifications/${ids[i % ids.length]}/check`,
      { code: wrong },
      target.apiKey,
    );
    return checked.status === 200 && checked.json?.valid === false;
  });
  if (result.exhausted) target.wrongRateGuess *= 2;
  else target.wrongRateGuess = Math.max(target.wrongRateGuess, (result.ops / result.seconds) * 1.3);
  return meter.result(
    base,
    result,
    result.exhausted ? `pool of ${size} used up; the next pool is larger` : undefined,
  );
}

/** GET /v1/verifications/:id of the bench app's verifications, picked at random. */
async function getVerification(
  target: Target,
  settings: RunSettings,
  base: Base,
): Promise<ScenarioResult> {
  while (target.getIds.length < 100) {
    const created = await createVerification(target, 'outbound');
    if (created) target.getIds.push(created.id);
  }
  const ids = target.getIds;
  const meter = new Meter(target.service.pid, target.databasePid);
  const result = await loop(settings, meter, async () => {
    const res = await target.api.request(
      'GET',
      `/v1/verifications/${ids[Math.floor(Math.random() * ids.length)]}`,
      undefined,
      { authorization: `Bearer ${target.apiKey}` },
    );
    return res.status === 200;
  });
  return meter.result(base, result);
}

const WEBHOOK_ATTEMPTS = 50;
const WEBHOOK_RETRY_MS = 200;

/**
 * Signed Meta webhooks carrying the prefilled text of inbound verifications (created through the
 * API beforehand, not measured). The webhook is answered at once and processed in the background,
 * so the scenario runs until every accepted message is approved: approvals are seen as the
 * confirmation reply reaching the fake Graph API (sent after the commit) and checked in SQL.
 * ops/s = approved / (last approval - first send); latency = first send -> approval of each
 * message. Every refused delivery (e.g. 503 while the service sheds load) is an error.
 */
async function inboundWebhook(
  target: Target,
  settings: RunSettings,
  base: Base,
): Promise<ScenarioResult> {
  const pool = (
    await inParallel(settings.inboundMessages, settings.concurrency, () =>
      createVerification(target, 'inbound'),
    )
  ).filter((v): v is { id: string; phone: string; waMessage: string } => !!v?.waMessage);
  const byRecipient = new Map(pool.map((v, i) => [v.phone.slice(1), i]));
  const sentAt: number[] = new Array<number>(pool.length).fill(0);
  const approvedAt: number[] = new Array<number>(pool.length).fill(0);
  let approved = 0;
  let accepted = 0;
  let sendingDone = false;
  let wake: (() => void) | null = null;
  target.graph.onText = (recipient) => {
    const i = byRecipient.get(recipient);
    if (i === undefined || approvedAt[i] !== 0) return;
    approvedAt[i] = performance.now();
    approved += 1;
    if (sendingDone && approved >= accepted) wake?.();
  };
  const approvedBefore = await target.db.count(
    "app_id = ? AND flow = 'inbound' AND status = 'approved'",
    [target.appId],
  );
  const meter = new Meter(target.service.pid, target.databasePid);
  let next = 0;
  let rejected = 0;
  let givenUp = 0;
  const rejections = new Map<string, number>();
  const reject = (why: string): void => {
    rejected += 1;
    rejections.set(why, (rejections.get(why) ?? 0) + 1);
  };
  meter.mark('start');
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (next < pool.length) {
        const i = next++;
        const v = pool[i];
        const body = metaInboundText(target.secrets.metaPhoneNumberId, {
          from: v.phone,
          id: `wamid.bench.${v.id}`,
          text: v.waMessage,
        });
        sentAt[i] = performance.now();
        const signature = metaSignature(body, target.secrets.metaAppSecret);
        // A refused notification is sent again, as Meta does (sooner): every message counts.
        for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
          try {
            const res = await target.api.request('POST', '/v1/webhooks/meta', body, {
              'x-hub-signature-256': signature,
            });
            if (res.status === 200) {
              accepted += 1;
              break;
            }
            reject(`HTTP ${res.status} ${res.body.slice(0, 80)}`);
          } catch (error) {
            reject(error instanceof Error ? error.message : String(error));
          }
          if (attempt === WEBHOOK_ATTEMPTS) givenUp += 1;
          else await new Promise((r) => setTimeout(r, WEBHOOK_RETRY_MS));
        }
      }
    }),
  );
  sendingDone = true;
  const deadline = Math.max(60_000, settings.durationMs * 20);
  if (approved < accepted) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, deadline).unref();
    });
  }
  target.graph.onText = null;
  const tEnd = approved > 0 ? approvedAt.reduce((a, b) => Math.max(a, b), 0) : performance.now();
  meter.mark('end');
  const latencies = approvedAt
    .map((t, i) => (t === 0 ? -1 : t - sentAt[i]))
    .filter((ms) => ms >= 0)
    .sort((a, b) => a - b);
  const approvedInDb =
    (await target.db.count("app_id = ? AND flow = 'inbound' AND status = 'approved'", [
      target.appId,
    ])) - approvedBefore;
  const notes: string[] = [];
  if (pool.length < settings.inboundMessages)
    notes.push(
      `${settings.inboundMessages - pool.length} inbound verifications could not be created`,
    );
  notes.push(
    ...[...rejections].map(([why, n]) => `${n} webhook deliveries refused (sent again): ${why}`),
  );
  if (givenUp > 0) notes.push(`${givenUp} messages refused ${WEBHOOK_ATTEMPTS} times`);
  if (approvedInDb !== approved) notes.push(`${approvedInDb} approved in SQL, ${approved} replies`);
  if (approved < accepted)
    notes.push(`${accepted - approved} accepted messages not approved in time`);
  return meter.result(
    base,
    {
      ops: approved,
      errors: rejected + (accepted - approved),
      seconds: (tEnd - t0) / 1000,
      latencies,
      exhausted: false,
    },
    notes.length ? notes.join('; ') : undefined,
  );
}
