import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ApiErrorResponses } from '../common/api-error.dto';
import { Auth } from '../auth/auth.decorators';
import { MetricsExporter } from './metrics-exporter.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly exporter: MetricsExporter) {}

  @Get()
  @Auth('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Open when `METRICS_TOKEN` is unset; otherwise needs `Authorization: Bearer <METRICS_TOKEN>`. Labels are bounded: `country` is an ISO 3166 alpha-2 code or `ZZ`, never a phone or an id.',
  })
  @ApiOkResponse({
    description: 'The metrics, in the Prometheus text format (version 0.0.4).',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP waverify_checks_total Code checks\n# TYPE waverify_checks_total counter\nwaverify_checks_total{result="valid"} 12\n',
      },
    },
  })
  @ApiErrorResponses(401)
  scrape(): Promise<string> {
    return this.exporter.scrape();
  }
}
