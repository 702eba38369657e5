import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from '../common/clock';
import { SandboxMessage } from './entities/sandbox-message.entity';
import { ProviderRegistry } from './provider-registry';
import { SandboxController } from './sandbox.controller';
import { SandboxMessagesService } from './sandbox/sandbox-messages.service';

/** Messaging adapters (sandbox, Meta, Twilio) behind one registry, plus the sandbox read endpoint. */
@Module({
  imports: [TypeOrmModule.forFeature([SandboxMessage])],
  controllers: [SandboxController],
  providers: [ProviderRegistry, SandboxMessagesService, Clock],
  exports: [ProviderRegistry, SandboxMessagesService, Clock],
})
export class ProvidersModule {}
