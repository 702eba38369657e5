import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A dependency that reports its state in /health/ready without deciding readiness (e.g. Redis, which fails open). */
export interface HealthIndicator {
  name: string;
  state(): Promise<string>;
}

@Injectable()
export class HealthService {
  private readonly indicators: HealthIndicator[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  register(indicator: HealthIndicator): void {
    this.indicators.push(indicator);
  }

  async readiness(): Promise<{ status: string; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ok = true;
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), 2000);
      checks.database = 'up';
    } catch {
      checks.database = 'down';
      ok = false;
    }
    for (const indicator of this.indicators)
      checks[indicator.name] = await indicator.state().catch(() => 'down');
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}
