import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainException, ErrorCode } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { SandboxMessage } from '../entities/sandbox-message.entity';
import { ProviderRegistry } from '../provider-registry';
import { phoneFromProvider } from '../provider-utils';

const MAX_LIMIT = 200;

/** Reads what the sandbox providers stored; answers 404 where the sandbox is not in use. */
@Injectable()
export class SandboxMessagesService {
  constructor(
    @InjectRepository(SandboxMessage) private readonly messages: Repository<SandboxMessage>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
  ) {}

  /** True when a sandbox provider is in use outside production. */
  isAvailable(): boolean {
    return !this.config.isProduction && this.registry.isSandboxActive();
  }

  /**
   * Messages the sandbox "sent" for `appId`, newest first (ids are UUIDv7, so they break ties by
   * time). `phone` may be spelled as people do (`+62 812…`, `0062…`, or a `+` decoded as a space).
   */
  async listFor(appId: string, phone?: string, limit = 50): Promise<SandboxMessage[]> {
    if (!this.isAvailable()) {
      throw new DomainException(ErrorCode.NOT_FOUND, 'The sandbox is not enabled');
    }
    const to =
      phone === undefined || phone.trim() === '' ? undefined : SandboxMessagesService.e164(phone);
    return this.messages.find({
      where: to ? { appId, to } : { appId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_LIMIT),
    });
  }

  private static e164(phone: string): string {
    const e164 = phoneFromProvider(phone.replace(/[\s\-().]/g, '').replace(/^00/, ''));
    if (!e164) throw new DomainException(ErrorCode.INVALID_PHONE, 'phone must be an E.164 number');
    return e164;
  }
}
