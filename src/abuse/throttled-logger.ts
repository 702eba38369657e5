import { Logger } from '@nestjs/common';

/** Logs a warning at most once per interval (a Redis outage must not flood the log). */
export class ThrottledWarning {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(message: string): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} similar warnings suppressed)` : '';
    this.lastAt = now;
    this.suppressed = 0;
    this.logger.warn(`${message}${more}`);
  }
}
