import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import { Channel } from '../verification/verification.types';
import { ListSandboxMessagesQueryDto, SandboxMessageResponseDto } from './dto/sandbox-message.dto';
import { SandboxMessage } from './entities/sandbox-message.entity';
import { SandboxMessagesService } from './sandbox/sandbox-messages.service';

/** Development only: what the sandbox providers "sent". Answers 404 in production or without a sandbox. */
@ApiTags('sandbox')
@Auth('app')
@Controller('v1/sandbox')
export class SandboxController {
  constructor(private readonly sandbox: SandboxMessagesService) {}

  @Get('messages')
  @ApiOperation({
    operationId: 'listSandboxMessages',
    summary: 'Messages the sandbox provider "sent", newest first',
  })
  @ApiOkResponse({ type: SandboxMessageResponseDto, isArray: true })
  @ApiErrorResponses(400, 401, 404)
  async listMessages(
    @Query() query: ListSandboxMessagesQueryDto,
  ): Promise<SandboxMessageResponseDto[]> {
    return (await this.sandbox.listFor(query.phone)).map((message) => this.toResponse(message));
  }

  private toResponse(message: SandboxMessage): SandboxMessageResponseDto {
    return {
      id: message.id,
      to: message.to,
      channel: message.channel as Channel,
      text: message.text,
      createdAt: new Date(message.createdAt).toISOString(),
    };
  }
}
