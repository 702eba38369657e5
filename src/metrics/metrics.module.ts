import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Clock } from '../common/clock';
import { BacklogGauges } from './backlog-gauges.service';
import { MetricsController } from './metrics.controller';
import { MetricsExporter } from './metrics-exporter.service';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics: {@link MetricsService} (global, so any feature can count an event with one
 * call), GET /metrics, and the HTTP request histogram, taken by a Fastify onResponse hook so that
 * every answer is counted, including 404s and refusals by guards.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsExporter, BacklogGauges, Clock],
  exports: [MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      this.metrics.httpRequest(
        request.method,
        request.routeOptions.url,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
