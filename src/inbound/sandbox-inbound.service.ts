import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainException, ErrorCode } from '../common/errors';
import { newId } from '../common/ids';
import { normalisePhone } from '../common/phone';
import { InboundMessageEvent } from '../providers/messaging-provider';
import { SandboxMessagesService } from '../providers/sandbox/sandbox-messages.service';
import { Channel } from '../verification/verification.types';
import { SandboxInboundDto, SandboxInboundResponseDto } from './dto/sandbox-inbound.dto';
import { InboxService } from './inbox.service';
import { providerActor } from './provider-webhooks.service';

/** Development only: simulates a person writing to the business number, through the same inbox as a provider webhook. */
@Injectable()
export class SandboxInboundService {
  constructor(
    private readonly sandbox: SandboxMessagesService,
    private readonly inbox: InboxService,
    private readonly clock: Clock,
  ) {}

  /** The message is scoped to `appId` (the caller): it can only match that app's verifications. */
  async receive(
    appId: string,
    dto: SandboxInboundDto,
    ip: string | null,
  ): Promise<SandboxInboundResponseDto> {
    if (!this.sandbox.isAvailable())
      throw new DomainException(ErrorCode.NOT_FOUND, 'The sandbox is not enabled');
    const from = normalisePhone(dto.from);
    if (!from)
      throw new DomainException(
        ErrorCode.INVALID_PHONE,
        'from is not a valid international number (E.164, e.g. +6281212345678)',
      );
    const event: InboundMessageEvent = {
      kind: 'message',
      provider: 'sandbox',
      channel: Channel.WHATSAPP,
      messageId: `sandbox-in-${newId()}`,
      from: from.e164,
      waUserId: null,
      text: dto.text,
      timestamp: this.clock.now(),
      appId,
    };
    await this.inbox.acceptAndProcess([event], providerActor('sandbox', ip));
    return { accepted: true, messageId: event.messageId };
  }
}
