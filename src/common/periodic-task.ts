import { Logger } from '@nestjs/common';
import { BackgroundFailureLog } from '../database/database-unavailable';

/**
 * A background job of one instance: runs `work` every `intervalMs` after the previous run ended
 * (never overlapping itself), logs a failure and carries on, and stops cleanly on shutdown (the
 * timer never keeps the process alive; {@link stop} waits for a run in progress).
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;
  private stopped = true;
  private readonly failures: BackgroundFailureLog;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<T>,
    logger: Logger,
  ) {
    this.failures = new BackgroundFailureLog(logger);
  }

  start(firstDelayMs = this.intervalMs): void {
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  /** Runs now, or joins the run in progress. */
  runOnce(): Promise<T> {
    this.running ??= this.work().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce()
        .catch((error: unknown) => {
          this.failures.report(
            `${this.name} failed: ${error instanceof Error ? error.message : String(error)}`,
            error,
          );
        })
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
