import { Test } from '@nestjs/testing';
import { LimitHitAuditor } from '../abuse/limit-hit-auditor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ProviderRegistry } from '../providers/provider-registry';
import { InboxService } from './inbox.service';
import { ProviderWebhooksService } from './provider-webhooks.service';

async function serviceWith(verifyToken: string): Promise<{
  service: ProviderWebhooksService;
  audit: { record: jest.Mock };
  inbox: { accept: jest.Mock };
}> {
  const audit = { record: jest.fn().mockResolvedValue(undefined) };
  const inbox = { accept: jest.fn() };
  const config = {
    meta: { verifyToken },
    twilio: { webhookUrl: 'https://example.test/v1/webhooks/twilio' },
  } as unknown as AppConfig;
  const moduleRef = await Test.createTestingModule({
    providers: [
      ProviderWebhooksService,
      { provide: APP_CONFIG, useValue: config },
      { provide: ProviderRegistry, useValue: { meta: () => null, twilio: () => null } },
      { provide: InboxService, useValue: inbox },
      { provide: AuditService, useValue: audit },
      LimitHitAuditor,
      MetricsService,
      Clock,
    ],
  }).compile();
  return { service: moduleRef.get(ProviderWebhooksService), audit, inbox };
}

function codeOf(fn: () => unknown): ErrorCode | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof DomainException ? error.code : null;
  }
}

describe('ProviderWebhooksService', () => {
  it('echoes the challenge for the configured verify token', async () => {
    const { service } = await serviceWith('secret-token');
    expect(
      service.metaHandshake({
        'hub.mode': 'subscribe',
        'hub.verify_token': 'secret-token',
        'hub.challenge': '1158201444',
      }),
    ).toBe('1158201444');
  });

  it('is forbidden with a wrong token, a wrong mode, or when no token is configured', async () => {
    const { service } = await serviceWith('secret-token');
    expect(
      codeOf(() =>
        service.metaHandshake({
          'hub.mode': 'subscribe',
          'hub.verify_token': 'secret-tokem',
          'hub.challenge': '1',
        }),
      ),
    ).toBe(ErrorCode.FORBIDDEN);
    expect(
      codeOf(() =>
        service.metaHandshake({
          'hub.mode': 'unsubscribe',
          'hub.verify_token': 'secret-token',
          'hub.challenge': '1',
        }),
      ),
    ).toBe(ErrorCode.FORBIDDEN);
    const { service: unconfigured } = await serviceWith('');
    expect(
      codeOf(() =>
        unconfigured.metaHandshake({
          'hub.mode': 'subscribe',
          'hub.verify_token': '',
          'hub.challenge': '1',
        }),
      ),
    ).toBe(ErrorCode.FORBIDDEN);
    expect(
      codeOf(() => unconfigured.metaHandshake({ 'hub.mode': 'subscribe', 'hub.challenge': '1' })),
    ).toBe(ErrorCode.FORBIDDEN);
  });

  it('refuses a challenge that is not a plain token', async () => {
    const { service } = await serviceWith('secret-token');
    expect(
      codeOf(() =>
        service.metaHandshake({
          'hub.mode': 'subscribe',
          'hub.verify_token': 'secret-token',
          'hub.challenge': '<script>',
        }),
      ),
    ).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('rejects webhooks of providers that are not configured, audits it and stores nothing', async () => {
    const { service, audit, inbox } = await serviceWith('secret-token');
    await expect(
      service.receiveMeta(Buffer.from('{}'), 'sha256=00', {}, '127.0.0.1'),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_SIGNATURE });
    await expect(
      service.receiveTwilio({ MessageSid: 'SM1' }, 'sig', '127.0.0.1'),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_SIGNATURE });
    expect(audit.record).toHaveBeenCalledWith(
      expect.objectContaining({
        type: 'signature.rejected',
        actor: { type: 'provider', id: 'meta', ip: '127.0.0.1' },
        data: { provider: 'meta' },
      }),
    );
    expect(inbox.accept).not.toHaveBeenCalled();
  });

  it('audits bad signatures at most once per IP and minute', async () => {
    const { service, audit } = await serviceWith('secret-token');
    for (let i = 0; i < 5; i += 1)
      await expect(
        service.receiveMeta(Buffer.from('{}'), 'sha256=00', {}, '192.0.2.10'),
      ).rejects.toMatchObject({ code: ErrorCode.INVALID_SIGNATURE });
    await expect(
      service.receiveTwilio({ MessageSid: 'SM1' }, 'sig', '192.0.2.11'),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_SIGNATURE });
    expect(audit.record).toHaveBeenCalledTimes(2);
  });
});
