/**
 * The report: the machine, one table of every scenario per round, and the goals, each a ratio
 * computed per round with its median over rounds and pass/fail.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Engine } from './database';
import { ScenarioName, ScenarioResult, Stage } from './scenarios';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  databases: Partial<Record<Engine, string>>;
}

export function machine(databases: Partial<Record<Engine, string>>): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    databases,
  };
}

export interface Goal {
  engine: Engine | 'both';
  name: string;
  /** `>=`: the ratio must reach the threshold; `<=`: it must stay under it. */
  comparison: '>=' | '<=';
  threshold: number;
  perRound: (number | null)[];
  /** Rounds whose scenarios had errors (refused or failed operations): their ratio is suspect. */
  flagged: boolean[];
  median: number | null;
  pass: boolean | null;
  /** Goals stated for MariaDB; the same ratios on SQLite are shown for information. */
  informational: boolean;
}

export interface MemoryPeak {
  engine: Engine;
  /** Highest VmHWM of the service processes of this engine (main and growth stages). */
  peakMb: number | null;
}

const LABELS: Record<Engine, string> = { sqlite: 'SQLite', mysql: 'MariaDB' };

function median(values: (number | null)[]): number | null {
  const known = values
    .filter((v): v is number => v !== null && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 ? known[mid] : (known[mid - 1] + known[mid]) / 2;
}

function find(
  results: ScenarioResult[],
  engine: Engine,
  stage: Stage,
  scenario: ScenarioName,
  round: number,
): ScenarioResult | undefined {
  return results.find(
    (r) => r.engine === engine && r.stage === stage && r.scenario === scenario && r.round === round,
  );
}

/** 1000000 -> 1M, 10000 -> 10k. */
function rowCount(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 100 === 0) return `${n / 1000}k`;
  return String(n);
}

interface RoundValue {
  value: number | null;
  flagged?: boolean;
}

/** More than 1 % of a scenario's operations failed. */
function failing(...results: (ScenarioResult | undefined)[]): boolean {
  return results.some((r) => r !== undefined && r.errors > 0.01 * (r.ops + r.errors));
}

function goal(
  engine: Engine | 'both',
  name: string,
  comparison: '>=' | '<=',
  threshold: number,
  rounds: RoundValue[],
): Goal {
  const perRound = rounds.map((r) => r.value);
  const m = median(perRound);
  return {
    engine,
    name,
    comparison,
    threshold,
    perRound,
    flagged: rounds.map((r) => r.flagged ?? false),
    median: m,
    pass: m === null ? null : comparison === '>=' ? m >= threshold : m <= threshold,
    informational: engine === 'sqlite',
  };
}

export function computeGoals(
  results: ScenarioResult[],
  engines: Engine[],
  rounds: number,
  memory: MemoryPeak[],
  rssLimitMb: number,
  sizes: { small: number; large: number },
): Goal[] {
  const goals: Goal[] = [];
  const roundList = Array.from({ length: rounds }, (_, i) => i + 1);
  // MariaDB first: the goals are stated for it.
  const ordered = [...engines].sort((a) => (a === 'mysql' ? -1 : 1));
  for (const engine of ordered) {
    const perRound = (scenario: ScenarioName, floorFactor: number): RoundValue[] =>
      roundList.map((round) => {
        const s = find(results, engine, 'main', scenario, round);
        const f = find(results, engine, 'main', 'floor', round);
        return {
          value:
            s && f && f.opsPerSecond > 0 ? s.opsPerSecond / (f.opsPerSecond * floorFactor) : null,
          flagged: failing(s, f),
        };
      });
    goals.push(
      goal(engine, 'outbound flows/s ÷ floor flows/s', '>=', 0.35, perRound('outbound', 1)),
    );
    goals.push(
      goal(
        engine,
        'wrong checks/s ÷ floor requests/s (2 per flow)',
        '>=',
        0.4,
        perRound('wrong-check', 2),
      ),
    );
    goals.push(
      goal(engine, 'inbound approved/s ÷ floor flows/s', '>=', 0.3, perRound('inbound', 1)),
    );
    for (const scenario of ['wrong-check', 'get', 'inbound'] as const) {
      goals.push(
        goal(
          engine,
          `${scenario} p99 at ${rowCount(sizes.large)} rows ÷ at ${rowCount(sizes.small)}`,
          '<=',
          1.2,
          roundList.map((round) => {
            const small = find(results, engine, 'small-table', scenario, round);
            const large = find(results, engine, 'large-table', scenario, round);
            return {
              value: small?.p99Ms && large?.p99Ms ? large.p99Ms / small.p99Ms : null,
              flagged: failing(small, large),
            };
          }),
        ),
      );
    }
    const peak = memory.find((m) => m.engine === engine)?.peakMb ?? null;
    goals.push(
      goal(engine, `service peak RSS (MB, whole run) vs ${rssLimitMb} MB`, '<=', rssLimitMb, [
        { value: peak },
      ]),
    );
  }
  if (engines.includes('sqlite') && engines.includes('mysql')) {
    for (const scenario of ['outbound', 'wrong-check', 'get', 'inbound'] as const) {
      goals.push(
        goal(
          'both',
          `${scenario}: SQLite ops/s ÷ MariaDB ops/s`,
          '>=',
          1,
          roundList.map((round) => {
            const s = find(results, 'sqlite', 'main', scenario, round);
            const m = find(results, 'mysql', 'main', scenario, round);
            return {
              value: s && m && m.opsPerSecond > 0 ? s.opsPerSecond / m.opsPerSecond : null,
              flagged: failing(s, m),
            };
          }),
        ),
      );
    }
  }
  return goals;
}

function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : value.toFixed(digits);
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const STAGE_ORDER: Stage[] = ['main', 'small-table', 'large-table'];

export function resultsTable(results: ScenarioResult[]): string {
  const sorted = [...results].sort(
    (a, b) =>
      STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) ||
      a.scenario.localeCompare(b.scenario) ||
      a.engine.localeCompare(b.engine) ||
      a.round - b.round,
  );
  const body = table(
    [
      'stage / scenario',
      'db  round',
      'rows',
      'ops',
      'ops/s',
      'p50 ms',
      'p99 ms',
      'srv CPU ms/op',
      'db CPU ms/op',
      'RSS MB',
      'errors',
    ],
    sorted.map((r) => [
      `${r.stage} / ${r.scenario}`,
      `${LABELS[r.engine].padEnd(8)}${r.round}`,
      r.rows === null ? 'n/a' : String(r.rows),
      String(r.ops),
      fixed(r.opsPerSecond),
      fixed(r.p50Ms),
      fixed(r.p99Ms),
      fixed(r.serverCpuMsPerOp, 3),
      fixed(r.dbCpuMsPerOp, 3),
      fixed(r.rssPeakMb, 0),
      String(r.errors),
    ]),
  );
  const notes = sorted
    .filter((r) => r.note)
    .map((r) => `  ${r.stage} / ${r.scenario} ${LABELS[r.engine]} round ${r.round}: ${r.note}`);
  return notes.length ? `${body}\nNotes:\n${notes.join('\n')}` : body;
}

export function goalsTable(goals: Goal[], rounds: number): string {
  return table(
    [
      'goal',
      'db',
      ...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`),
      'median',
      'target',
      'result',
    ],
    goals.map((g) => {
      const cells = Array.from({ length: rounds }, (_, i) =>
        i < g.perRound.length ? `${fixed(g.perRound[i], 2)}${g.flagged[i] ? '!' : ''}` : '',
      );
      const verdict = g.pass === null ? 'n/a' : g.pass ? 'PASS' : 'FAIL';
      return [
        g.name,
        g.engine === 'both' ? 'both' : LABELS[g.engine],
        ...cells,
        fixed(g.median, 2),
        `${g.comparison} ${g.threshold}`,
        g.informational ? `(${verdict})` : verdict,
      ];
    }),
  );
}

export function machineText(m: Machine): string {
  const dbs = Object.entries(m.databases)
    .map(([, v]) => v)
    .join(', ');
  return `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GiB; Node ${m.node}; ${dbs}`;
}
