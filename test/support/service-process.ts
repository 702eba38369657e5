import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Process-level tests run the compiled service exactly as operators do: `node dist/src/main.js`. */
export const ROOT = join(__dirname, '..', '..');
export const MAIN_JS = join(ROOT, 'dist', 'src', 'main.js');
export const MIGRATE_JS = join(ROOT, 'dist', 'src', 'database', 'migrate.js');
export const CLI_JS = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist (`npm run build`) when it is missing or older than a source file, so these tests never
 * run a stale or absent build (CI builds first, so there it is a check only).
 */
export function ensureBuilt(): void {
  const stale =
    !existsSync(MAIN_JS) ||
    !existsSync(MIGRATE_JS) ||
    !existsSync(CLI_JS) ||
    statSync(MAIN_JS).mtimeMs < newestMtime(join(ROOT, 'src'));
  if (!stale) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
}

/** A minimal environment for a child: nothing of ours leaks in from the environment running the tests. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NO_COLOR: '1',
    ...env,
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output once `pattern` appears in stdout; fails after `timeoutMs` or on exit. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (kills the process by pid after `timeoutMs`). */
  exited(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

export function startProcess(
  script: string,
  env: Record<string, string>,
  cwd: string = ROOT,
  args: string[] = [],
  nodeFlags: string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd,
    env: childEnv(env),
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const exitWaiters: (() => void)[] = [];
  const outWaiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    outWaiters.forEach((wake) => wake());
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.on('close', (code) => {
    exitCode = code;
    exitWaiters.forEach((wake) => wake());
    outWaiters.forEach((wake) => wake());
  });

  const exited = (timeoutMs = 20_000): Promise<number | null> =>
    new Promise((resolve) => {
      if (exitCode !== undefined) return resolve(exitCode);
      const timer = setTimeout(() => {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      }, timeoutMs);
      exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(exitCode ?? null);
      });
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no ${pattern} in stdout within ${timeoutMs} ms:\n${out}\n${err}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve(out);
          } else if (exitCode !== undefined) {
            clearTimeout(timer);
            reject(new Error(`exited with ${exitCode} before ${pattern}:\n${out}\n${err}`));
          }
        };
        outWaiters.push(check);
        check();
      }),
    stop: async () => {
      if (exitCode !== undefined || !child.pid) return;
      process.kill(child.pid, 'SIGTERM');
      await exited(10_000);
    },
  };
}

/** Runs a script to its end; returns its exit code and output. */
export async function runProcess(
  script: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const proc = startProcess(script, env, ROOT, args);
  const code = await proc.exited(timeoutMs);
  return { code, stdout: proc.stdout(), stderr: proc.stderr(), ms: Date.now() - started };
}
