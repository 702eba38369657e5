import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/clock';
import { DomainException, ErrorCode } from '../../common/errors';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Channel, DeliveryStatus } from '../../verification/verification.types';
import { SandboxMessage } from '../entities/sandbox-message.entity';
import { ProviderRegistry } from '../provider-registry';
import { FixedClock, rejectionOf } from '../../../test/support/test-helpers';
import { SandboxMessagesService } from './sandbox-messages.service';
import { SandboxProvider } from './sandbox.provider';

class SteppingClock extends Clock {
  private at = Date.UTC(2025, 0, 1, 12, 0, 0);

  override now(): number {
    this.at += 1000;
    return this.at;
  }
}

describe('SandboxProvider and SandboxMessagesService', () => {
  let moduleRef: TestingModule;
  let repository: Repository<SandboxMessage>;
  let sandboxActive: boolean;
  let isProduction: boolean;

  beforeEach(async () => {
    sandboxActive = true;
    isProduction = false;
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: [SandboxMessage],
          synchronize: true, // throwaway in-memory database
        }),
        TypeOrmModule.forFeature([SandboxMessage]),
      ],
      providers: [
        SandboxMessagesService,
        {
          provide: APP_CONFIG,
          useFactory: (): Pick<AppConfig, 'isProduction'> => ({
            get isProduction() {
              return isProduction;
            },
          }),
        },
        { provide: ProviderRegistry, useValue: { isSandboxActive: () => sandboxActive } },
      ],
    }).compile();
    repository = moduleRef.get(getRepositoryToken(SandboxMessage));
  });
  afterEach(async () => {
    await moduleRef.close();
  });

  it('stores the message and answers accepted with a sandbox- id', async () => {
    const provider = new SandboxProvider(
      Channel.WHATSAPP,
      repository,
      new FixedClock(1_735_732_800_000),
    );

    const result = await provider.send({
      to: '+6281212345678',
      channel: Channel.WHATSAPP,
      kind: 'code',
      code: '482913',
      text: 'Your Acme code is 482913.',
      locale: 'en',
      appId: 'app-1',
    });

    expect(result.status).toBe(DeliveryStatus.ACCEPTED);
    const stored = await repository.find();
    expect(stored).toEqual([
      {
        id: result.messageId.replace(/^sandbox-/, ''),
        to: '+6281212345678',
        appId: 'app-1',
        channel: 'whatsapp',
        text: 'Your Acme code is 482913.',
        createdAt: 1_735_732_800_000,
      },
    ]);
  });

  it('lists newest first, optionally for one phone in any common spelling', async () => {
    const clock = new SteppingClock();
    const whatsapp = new SandboxProvider(Channel.WHATSAPP, repository, clock);
    const sms = new SandboxProvider(Channel.SMS, repository, clock);
    const base = { kind: 'text' as const, locale: 'en', appId: 'app-1' };
    await whatsapp.send({
      ...base,
      to: '+6281212345678',
      channel: Channel.WHATSAPP,
      text: 'first',
    });
    await whatsapp.send({
      ...base,
      appId: 'app-2',
      to: '+6281212345678',
      channel: Channel.WHATSAPP,
      text: 'for another app',
    });
    await whatsapp.send({
      ...base,
      appId: null,
      to: '+6281212345678',
      channel: Channel.WHATSAPP,
      text: 'no app',
    });
    await whatsapp.send({ ...base, to: '+393331234567', channel: Channel.WHATSAPP, text: 'other' });
    await sms.send({ ...base, to: '+6281212345678', channel: Channel.SMS, text: 'second' });
    const service = moduleRef.get(SandboxMessagesService);

    expect((await service.listFor('app-1')).map((m) => m.text)).toEqual([
      'second',
      'other',
      'first',
    ]);
    expect((await service.listFor('app-2')).map((m) => m.text)).toEqual(['for another app']);
    expect((await service.listFor('app-1', '+6281212345678')).map((m) => m.text)).toEqual([
      'second',
      'first',
    ]);
    // `+` in a query string arrives as a space.
    expect((await service.listFor('app-1', ' 62 812-1234-5678')).map((m) => m.text)).toEqual([
      'second',
      'first',
    ]);
    expect((await service.listFor('app-1', '+6281212345678', 1)).map((m) => m.text)).toEqual([
      'second',
    ]);
  });

  it('rejects a phone that is not a number with invalid_phone', async () => {
    const error = await rejectionOf(
      moduleRef.get(SandboxMessagesService).listFor('app-1', 'hello'),
    );
    expect(error).toBeInstanceOf(DomainException);
    expect((error as DomainException).code).toBe(ErrorCode.INVALID_PHONE);
  });

  it('answers not_found when no sandbox provider is in use', async () => {
    sandboxActive = false;
    const error = await rejectionOf(moduleRef.get(SandboxMessagesService).listFor('app-1'));
    expect((error as DomainException).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('answers not_found in production even with a sandbox provider', async () => {
    isProduction = true;
    const error = await rejectionOf(moduleRef.get(SandboxMessagesService).listFor('app-1'));
    expect((error as DomainException).code).toBe(ErrorCode.NOT_FOUND);
  });
});
