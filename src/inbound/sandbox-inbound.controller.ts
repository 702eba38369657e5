import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import { SandboxInboundDto, SandboxInboundResponseDto } from './dto/sandbox-inbound.dto';
import { SandboxInboundService } from './sandbox-inbound.service';

/** Development only: answers 404 in production or when no sandbox provider is in use. */
@ApiTags('sandbox')
@Auth('app')
@Controller('v1/sandbox')
export class SandboxInboundController {
  constructor(private readonly sandbox: SandboxInboundService) {}

  @Post('inbound')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'sendSandboxInbound',
    summary:
      'Simulate a person sending `text` from `from` to the business number (same pipeline as a provider webhook, processed before answering)',
  })
  @ApiOkResponse({ type: SandboxInboundResponseDto })
  @ApiErrorResponses(400, 401, 404)
  receive(@Body() dto: SandboxInboundDto, @Ip() ip: string): Promise<SandboxInboundResponseDto> {
    return this.sandbox.receive(dto, ip ?? null);
  }
}
