import { Repository } from 'typeorm';
import { Clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { Channel, DeliveryStatus } from '../../verification/verification.types';
import { SandboxMessage } from '../entities/sandbox-message.entity';
import {
  DeliveryError,
  MessagingProvider,
  OutboundMessage,
  SendResult,
} from '../messaging-provider';

/**
 * Development adapter: "sends" by storing the message, so a developer (or an e2e test) can read
 * it back from `GET /v1/sandbox/messages`. One instance per channel.
 */
export class SandboxProvider implements MessagingProvider {
  readonly name = 'sandbox' as const;

  constructor(
    readonly channel: Channel,
    private readonly messages: Repository<SandboxMessage>,
    private readonly clock: Clock,
  ) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    // Sandbox senders always show their phone (POST /v1/sandbox/inbound takes one).
    if (!message.to) throw new DeliveryError('no phone number to send to', false);
    const id = newId();
    await this.messages.insert({
      id,
      to: message.to,
      appId: message.appId ?? null,
      channel: this.channel,
      text: message.text,
      createdAt: this.clock.now(),
    });
    return { messageId: `sandbox-${id}`, status: DeliveryStatus.ACCEPTED };
  }
}
