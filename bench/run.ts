/**
 * `npm run bench`: the service against a SQL floor, side by side, in alternating rounds, on SQLite
 * and MariaDB, then at ~10 k and ~1 M verification rows. See docs/benchmarks.md. Usage:
 *   npm run bench -- --database mysql://root@127.0.0.1:3306/wv_bench   # MariaDB and SQLite
 *   npm run bench                                                      # SQLite only
 *   npm run bench -- --duration 3 --rounds 1 --growth-rows 20000       # a quick look
 * Only 127.0.0.1 is contacted; every database is created for the run and removed at its end.
 */
import { writeFileSync } from 'node:fs';
import { createBenchDatabase, Engine } from './database';
import { FakeGraph } from './fake-graph';
import { HttpClient } from './load';
import { findDatabaseServerPid, memory } from './proc-stats';
import { newSecrets, ServerProcess } from './processes';
import { computeGoals, goalsTable, machine, machineText, MemoryPeak, resultsTable } from './report';
import {
  createVerification,
  GROWTH_SCENARIOS,
  runScenario,
  RunSettings,
  ScenarioName,
  ScenarioResult,
  SCENARIOS,
  Stage,
  Target,
} from './scenarios';

interface Options {
  databases: string[];
  durationSeconds: number;
  warmupSeconds: number;
  concurrency: number;
  rounds: number;
  scenarios: ScenarioName[];
  skipGrowth: boolean;
  smallRows: number;
  growthRows: number;
  pendingInbound: number;
  inboundMessages: number;
  rssLimitMb: number;
  port: number;
  json: string | null;
}

const HELP = `npm run bench -- [options]
  --database <url>        sqlite (default) or mysql://user@127.0.0.1:3306/<name prefix>; repeatable.
                          With a MariaDB URL, SQLite runs too (for the SQLite-vs-MariaDB goal)
                          unless --no-sqlite. A fresh database is created and dropped.
  --duration <s>          measured seconds per scenario and round (default 5)
  --warmup <s>            unrecorded seconds before each scenario (default 1)
  --concurrency <n>       concurrent clients (default 32)
  --rounds <n>            alternating rounds per stage (default 3)
  --scenarios <list>      subset of ${SCENARIOS.join(',')} (default all)
  --skip-growth           skip the growth stage (~10k and ~1M rows) (and its pending inbound rows)
  --small-rows <n>        rows of the small growth stage (default 10000)
  --growth-rows <n>       rows of the large growth stage (default 1000000)
  --pending-inbound <n>   pending inbound verifications among them (default 200000,
                          at most half of --growth-rows)
  --inbound-messages <n>  inbound webhooks per round (default 400 x duration)
  --rss-limit <MB>        peak RSS goal of the service (default 200)
  --port <n>              first local port to use (default 3901)
  --json <file>           also write every result and goal as JSON`;

function parseArgs(argv: string[]): Options {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n${HELP}`);
    const name = arg.slice(2);
    if (['skip-growth', 'no-sqlite', 'help'].includes(name)) {
      flags.add(name);
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${HELP}`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  if (flags.has('help')) {
    console.log(HELP);
    process.exit(0);
  }
  const known = [
    'database',
    'duration',
    'warmup',
    'concurrency',
    'rounds',
    'scenarios',
    'small-rows',
    'growth-rows',
    'pending-inbound',
    'inbound-messages',
    'rss-limit',
    'port',
    'json',
  ];
  for (const name of values.keys()) {
    if (!known.includes(name)) throw new Error(`unknown option --${name}\n${HELP}`);
  }
  const num = (name: string, fallback: number, min: number): number => {
    const raw = values.get(name)?.at(-1);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min)
      throw new Error(`--${name} must be a number of at least ${min} (got "${raw}")`);
    return value;
  };
  const given = values.get('database') ?? [];
  const databases = given.map((d) => (d.startsWith('sqlite') ? 'sqlite' : d));
  if (!databases.includes('sqlite') && !flags.has('no-sqlite')) databases.unshift('sqlite');
  for (const d of databases) {
    if (d !== 'sqlite' && !/^(mysql|mariadb):\/\//.test(d))
      throw new Error(`--database must be sqlite or a mysql:// URL (got "${d}")`);
  }
  if (new Set(databases.map((d) => (d === 'sqlite' ? d : 'mysql'))).size !== databases.length)
    throw new Error('--database: one SQLite and at most one MariaDB/MySQL');
  const scenarioList = values.get('scenarios')?.at(-1)?.split(',') ?? [...SCENARIOS];
  for (const s of scenarioList) {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`--scenarios: unknown "${s}" (known: ${SCENARIOS.join(', ')})`);
  }
  const durationSeconds = num('duration', 5, 1);
  const growthRows = Math.round(num('growth-rows', 1_000_000, 1000));
  return {
    databases,
    durationSeconds,
    warmupSeconds: num('warmup', 1, 0),
    concurrency: Math.round(num('concurrency', 32, 1)),
    rounds: Math.round(num('rounds', 3, 1)),
    // Run in the documented order whatever the order given.
    scenarios: SCENARIOS.filter((s) => scenarioList.includes(s)),
    skipGrowth: flags.has('skip-growth'),
    smallRows: Math.round(num('small-rows', 10_000, 100)),
    growthRows,
    pendingInbound: Math.round(num('pending-inbound', 200_000, 0)),
    inboundMessages: Math.round(num('inbound-messages', 400 * durationSeconds, 10)),
    rssLimitMb: num('rss-limit', 200, 1),
    port: Math.round(num('port', 3901, 1024)),
    json: values.get('json')?.at(-1) ?? null,
  };
}

const LABELS: Record<Engine, string> = { sqlite: 'SQLite', mysql: 'MariaDB' };

function isLocal(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

/** A database URL without its password (for the JSON output). */
function withoutPassword(url: string): string {
  if (url === 'sqlite') return url;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Set-up to undo if the run is interrupted (Ctrl-C): servers stopped, databases dropped. */
const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and removing the databases`);
    void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() =>
      process.exit(130),
    );
  });
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function progress(r: ScenarioResult): void {
  const ms = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(1));
  log(
    `${r.stage} round ${r.round} ${LABELS[r.engine]} ${r.scenario}: ${r.opsPerSecond.toFixed(1)} ops/s, ` +
      `p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms, ${r.errors} errors${r.note ? ` (${r.note})` : ''}`,
  );
}

/** Starts a service (and optionally the floor) on a fresh database and creates the bench app. */
async function startTarget(
  url: string,
  suffix: string,
  port: number,
  withFloor: boolean,
  concurrency: number,
): Promise<Target> {
  const db = await createBenchDatabase(url, suffix);
  // What to undo, newest first: floor, service, fake Graph API, then the database.
  const undo: (() => Promise<void>)[] = [() => db.destroy()];
  const release = async (): Promise<void> => {
    cleanups.delete(release);
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };
  cleanups.add(release);
  try {
    const graph = await new FakeGraph().start();
    undo.push(() => graph.stop());
    const secrets = newSecrets();
    const service = await ServerProcess.service(db.url, port, graph.url, secrets);
    undo.push(() => service.stop());
    const api = new HttpClient(service.base, concurrency);
    let floor: ServerProcess | null = null;
    if (withFloor) {
      // SQLite: the floor writes its own file next to the service's (one writer per file, as for the service).
      const floorUrl = db.engine === 'sqlite' ? `${db.url}.floor` : db.url;
      const started = await ServerProcess.floor(floorUrl, port + 1);
      undo.push(() => started.stop());
      floor = started;
    }
    const app = await api.json('POST', '/v1/apps', { name: 'bench' }, secrets.adminApiKey);
    if (app.status !== 201 || !app.json)
      throw new Error(`could not create the bench app: ${app.status}`);
    return {
      engine: db.engine,
      db,
      service,
      api,
      floor,
      floorApi: floor ? new HttpClient(floor.base, concurrency) : null,
      graph,
      secrets,
      apiKey: app.json.apiKey as string,
      appId: app.json.id as string,
      // The database server's CPU can only be read when it runs on this machine.
      databasePid: db.engine === 'mysql' && isLocal(db.url) ? findDatabaseServerPid() : null,
      getIds: [],
      wrongRateGuess: 2000,
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

async function stopTarget(target: Target, peaks: Map<Engine, number>): Promise<void> {
  const peak = memory(target.service.pid)?.peakMb;
  if (peak !== undefined) peaks.set(target.engine, Math.max(peaks.get(target.engine) ?? 0, peak));
  target.api.close();
  target.floorApi?.close();
  await target.release();
}

/**
 * One short unrecorded pass over every scenario and target before a stage's rounds, so the
 * first round does not pay for a cold service (JIT, caches, connection pools).
 */
async function warmUpPass(
  stage: Stage,
  targets: Target[],
  scenarios: ScenarioName[],
  settings: RunSettings,
): Promise<void> {
  const short: RunSettings = {
    ...settings,
    warmupMs: 0,
    durationMs: Math.max(1000, settings.warmupMs),
    inboundMessages: Math.min(settings.inboundMessages, 200),
  };
  for (const scenario of scenarios) {
    for (const target of targets) await runScenario(target, scenario, stage, 0, short);
  }
  log(`${stage}: warmed up`);
}

/** Rounds over `scenarios` x `targets`, in the order A B C … then … C B A. */
async function rounds(
  stage: Stage,
  targets: Target[],
  scenarios: ScenarioName[],
  settings: RunSettings,
  count: number,
  results: ScenarioResult[],
): Promise<void> {
  const items = scenarios.flatMap((scenario) => targets.map((target) => ({ scenario, target })));
  for (let round = 1; round <= count; round++) {
    const ordered = round % 2 === 1 ? items : [...items].reverse();
    for (const { scenario, target } of ordered) {
      const result = await runScenario(target, scenario, stage, round, settings);
      results.push(result);
      progress(result);
    }
  }
}

/** Other apps whose rows fill the table: the bench app's own results keep their meaning. */
async function otherApps(target: Target, count: number): Promise<{ id: string; apiKey: string }[]> {
  const apps: { id: string; apiKey: string }[] = [];
  for (let i = 0; i < count; i++) {
    const res = await target.api.json(
      'POST',
      '/v1/apps',
      { name: `other-${i}` },
      target.secrets.adminApiKey,
    );
    if (res.status !== 201 || !res.json) throw new Error('could not create the other apps');
    apps.push({ id: res.json.id as string, apiKey: res.json.apiKey as string });
  }
  return apps;
}

const PENDING_INBOUND = "flow = 'inbound' AND status = 'pending'";

async function growthStage(
  options: Options,
  settings: RunSettings,
  results: ScenarioResult[],
  peaks: Map<Engine, number>,
  suffix: string,
): Promise<{ engine: Engine; rows: number; seconds: number; pendingInbound: number }[]> {
  const scenarios = GROWTH_SCENARIOS.filter((s) => options.scenarios.includes(s));
  const targets: Target[] = [];
  const timings: { engine: Engine; rows: number; seconds: number; pendingInbound: number }[] = [];
  try {
    for (const [i, url] of options.databases.entries()) {
      targets.push(
        await startTarget(
          url,
          `${suffix}_g`,
          options.port + 10 * i + 2,
          false,
          options.concurrency,
        ),
      );
    }
    const others = new Map<Target, { id: string; apiKey: string }[]>();
    for (const target of targets) {
      const apps = await otherApps(target, 3);
      others.set(target, apps);
      // Seeds made through the API: completed and pending outbound flows, pending inbound ones.
      for (let i = 0; i < 32; i++) {
        const flow = await createVerification(target, 'outbound', apps[0].apiKey);
        if (flow && i % 2 === 0) {
          await target.api.json(
            'POST',
            `/v1/verifications/${flow.id}/check`,
            { code: target.graph.takeCode(flow.phone) },
            apps[0].apiKey,
          );
        }
        await createVerification(target, 'inbound', apps[1].apiKey);
      }
      const t0 = performance.now();
      await target.db.multiply({
        where: '1 = 1',
        target: options.smallRows,
        appIds: apps.map((a) => a.id),
      });
      log(
        `${LABELS[target.engine]}: ${await target.db.count()} verification rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    await warmUpPass('small-table', targets, scenarios, settings);
    await rounds('small-table', targets, scenarios, settings, options.rounds, results);

    const pending = Math.min(options.pendingInbound, Math.floor(options.growthRows / 2));
    for (const target of targets) {
      const appIds = others.get(target)!.map((a) => a.id);
      const t0 = performance.now();
      await target.db.multiply({ where: PENDING_INBOUND, target: pending, appIds });
      const pendingRows = await target.db.count(PENDING_INBOUND);
      await target.db.multiply({
        where: `NOT (${PENDING_INBOUND})`,
        target: options.growthRows - pendingRows,
        appIds,
      });
      const seconds = (performance.now() - t0) / 1000;
      const rows = await target.db.count();
      timings.push({ engine: target.engine, rows, seconds, pendingInbound: pendingRows });
      log(
        `${LABELS[target.engine]}: ${rows} verification rows (${pendingRows} pending inbound) in ${seconds.toFixed(1)} s`,
      );
    }
    await rounds('large-table', targets, scenarios, settings, options.rounds, results);
  } finally {
    for (const target of targets) await stopTarget(target, peaks);
  }
  return timings;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  const suffix = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const settings: RunSettings = {
    concurrency: options.concurrency,
    durationMs: options.durationSeconds * 1000,
    warmupMs: options.warmupSeconds * 1000,
    inboundMessages: options.inboundMessages,
  };
  const results: ScenarioResult[] = [];
  const peaks = new Map<Engine, number>();
  const versions: Partial<Record<Engine, string>> = {};
  const targets: Target[] = [];
  let growth: Awaited<ReturnType<typeof growthStage>> = [];
  try {
    for (const [i, url] of options.databases.entries()) {
      const target = await startTarget(
        url,
        suffix,
        options.port + 10 * i,
        options.scenarios.includes('floor'),
        options.concurrency,
      );
      targets.push(target);
      versions[target.engine] = await target.db.version();
    }
    log(
      `${options.rounds} round(s) of ${options.scenarios.join(', ')} on ${targets.map((t) => LABELS[t.engine]).join(' and ')}, ` +
        `${options.concurrency} clients, ${options.durationSeconds} s each`,
    );
    await warmUpPass('main', targets, options.scenarios, settings);
    await rounds('main', targets, options.scenarios, settings, options.rounds, results);
  } finally {
    for (const target of targets.splice(0)) await stopTarget(target, peaks);
  }
  const growthScenarios = GROWTH_SCENARIOS.filter((s) => options.scenarios.includes(s));
  if (!options.skipGrowth && growthScenarios.length > 0)
    growth = await growthStage(options, settings, results, peaks, suffix);

  const engines = options.databases.map((d): Engine => (d === 'sqlite' ? 'sqlite' : 'mysql'));
  const memoryPeaks: MemoryPeak[] = engines.map((engine) => ({
    engine,
    peakMb: peaks.get(engine) ?? null,
  }));
  const goals = computeGoals(results, engines, options.rounds, memoryPeaks, options.rssLimitMb, {
    small: options.smallRows,
    large: options.growthRows,
  });
  const host = machine(versions);
  console.log('');
  console.log(machineText(host));
  console.log(
    `${options.concurrency} clients, ${options.durationSeconds} s per scenario after ${options.warmupSeconds} s warm-up, ${options.rounds} round(s), ` +
      `${((Date.now() - startedAt) / 60_000).toFixed(1)} min in all`,
  );
  for (const g of growth) {
    console.log(
      `Growth: ${LABELS[g.engine]} reached ${g.rows} rows (${g.pendingInbound} pending inbound) in ${g.seconds.toFixed(1)} s of SQL`,
    );
  }
  for (const m of memoryPeaks) {
    console.log(
      `Service peak RSS (VmHWM), ${LABELS[m.engine]}: ${m.peakMb === null ? 'n/a' : `${m.peakMb.toFixed(0)} MB`}`,
    );
  }
  console.log('');
  console.log(resultsTable(results));
  console.log('');
  console.log(
    'Goals (ratio per round, median over rounds; SQLite lines in parentheses are for information):',
  );
  console.log(goalsTable(goals, options.rounds));
  if (goals.some((g) => g.flagged.some(Boolean)))
    console.log(
      '! more than 1 % of the operations of a scenario behind that ratio failed (see errors above)',
    );
  if (options.json) {
    writeFileSync(
      options.json,
      JSON.stringify(
        {
          machine: host,
          options: { ...options, databases: options.databases.map(withoutPassword) },
          results,
          growth,
          memory: memoryPeaks,
          goals,
        },
        null,
        2,
      ),
    );
    console.log(`\nJSON written to ${options.json}`);
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
