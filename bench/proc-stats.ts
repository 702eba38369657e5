/**
 * Process statistics read from Linux's /proc: CPU time (utime + stime) and memory (VmRSS, VmHWM)
 * of the service, the SQL floor server and the database server. Elsewhere every reading is null.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time the process has used so far (user + system), in ms; null when unreadable. */
export function cpuMs(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks();
  } catch {
    return null;
  }
}

export interface MemoryReading {
  rssMb: number;
  /** High-water mark of the resident set since the process started. */
  peakMb: number;
}

export function memory(pid: number | null | undefined): MemoryReading | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** The pid of the local MariaDB/MySQL server (`mariadbd`, `mysqld`), or null. */
export function findDatabaseServerPid(): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
      } catch {
        // the process ended while listing
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/** Samples a process's VmRSS every `intervalMs` and keeps the highest value seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private maxMb = 0;

  constructor(
    private readonly pid: number | null | undefined,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling; returns the highest VmRSS seen (MB), or null when unreadable. */
  stop(): number | null {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.maxMb > 0 ? this.maxMb : null;
  }

  private sample(): void {
    const reading = memory(this.pid);
    if (reading && reading.rssMb > this.maxMb) this.maxMb = reading.rssMb;
  }
}
