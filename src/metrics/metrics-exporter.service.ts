import { Injectable } from '@nestjs/common';
import { BacklogGauges } from './backlog-gauges.service';
import { MetricsService } from './metrics.service';

/** What GET /metrics answers: the backlog gauges brought up to date, then the exposition. */
@Injectable()
export class MetricsExporter {
  constructor(
    private readonly metrics: MetricsService,
    private readonly backlog: BacklogGauges,
  ) {}

  async scrape(): Promise<string> {
    await this.backlog.refresh();
    return this.metrics.render();
  }
}
