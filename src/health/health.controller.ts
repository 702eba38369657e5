import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth } from '../auth/auth.decorators';
import { HealthService } from './health.service';

export class HealthDto {
  @ApiProperty({
    description: '`ok`, or `unavailable` when a required dependency is down.',
    example: 'ok',
  })
  status: string;

  @ApiProperty({
    description: 'State of each dependency.',
    example: { database: 'up' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  checks: Record<string, string>;
}

@ApiTags('health')
@Auth('none')
@ApiBadRequestResponse({
  description:
    'Only for a malformed URL, which the HTTP server refuses before any route runs (`FST_ERR_BAD_URL`).',
})
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'The process is up',
  })
  @ApiOkResponse({ type: HealthDto })
  live(): HealthDto {
    return { status: 'ok', checks: {} };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Ready to serve: 503 when the database is unreachable',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    const result = await this.health.readiness();
    void reply.status(result.status === 'ok' ? 200 : 503);
    return result;
  }
}
