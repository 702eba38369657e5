import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { countryOf, MetricsService } from './metrics.service';

function service(metricsAppLabel = false): MetricsService {
  return new MetricsService({ metricsAppLabel } as AppConfig);
}

async function sample(metrics: MetricsService, line: string): Promise<boolean> {
  return (await metrics.render()).split('\n').includes(line);
}

describe('countryOf', () => {
  it('gives the ISO alpha-2 of a number, ZZ without one or for an unknown one', () => {
    expect(countryOf('+6281234567890')).toBe('ID');
    expect(countryOf('+14155552671')).toBe('US');
    expect(countryOf('+4915123456789')).toBe('DE');
    expect(countryOf(null)).toBe('ZZ');
    expect(countryOf('+999123')).toBe('ZZ');
  });
});

describe('MetricsService', () => {
  const verification = {
    appId: 'app-1',
    flow: 'outbound',
    channel: 'whatsapp',
    phone: '+6281234567890',
    isTest: false,
  };

  it('keeps its own registry: two instances never share a counter', async () => {
    const a = service();
    const b = service();
    a.checked('valid');
    expect(await sample(a, 'waverify_checks_total{result="valid"} 1')).toBe(true);
    expect(await sample(b, 'waverify_checks_total{result="valid"} 0')).toBe(true);
  });

  it('counts created and terminal transitions, never test numbers nor non-terminal statuses', async () => {
    const metrics = service();
    metrics.verificationCreated(verification);
    metrics.verificationCreated({ ...verification, isTest: true });
    metrics.verificationCompleted(verification, 'approved');
    metrics.verificationCompleted(verification, 'pending');
    metrics.verificationCompleted({ ...verification, isTest: true }, 'approved');
    const text = await metrics.render();
    expect(text).toContain(
      'waverify_verifications_created_total{flow="outbound",channel="whatsapp",country="ID"} 1',
    );
    expect(text).toContain(
      'waverify_verifications_completed_total{flow="outbound",channel="whatsapp",status="approved",country="ID"} 1',
    );
    expect(text).not.toContain('status="pending"');
    expect(text).not.toContain('6281234567890');
    expect(text).not.toContain('app-1');
  });

  it('adds app_id to the verification series with METRICS_APP_LABEL', async () => {
    const metrics = service(true);
    metrics.verificationCreated(verification);
    expect(await metrics.render()).toContain(
      'waverify_verifications_created_total{flow="outbound",channel="whatsapp",country="ID",app_id="app-1"} 1',
    );
  });

  it('classifies checks by their outcome and passes results and errors through', async () => {
    const metrics = service();
    await expect(metrics.countCheck(Promise.resolve({ valid: true }))).resolves.toEqual({
      valid: true,
    });
    await expect(metrics.countCheck(Promise.resolve({ valid: false }))).resolves.toEqual({
      valid: false,
    });
    const notPending = new DomainException(ErrorCode.VERIFICATION_NOT_PENDING, 'not pending');
    await expect(metrics.countCheck(Promise.reject(notPending))).rejects.toBe(notPending);
    const other = new DomainException(ErrorCode.VALIDATION_FAILED, 'no code yet');
    await expect(metrics.countCheck(Promise.reject(other))).rejects.toBe(other);
    const text = await metrics.render();
    expect(text).toContain('waverify_checks_total{result="valid"} 1');
    expect(text).toContain('waverify_checks_total{result="invalid"} 1');
    expect(text).toContain('waverify_checks_total{result="not_pending"} 1');
  });

  it('tells timeouts from other failed client-webhook attempts', async () => {
    const metrics = service();
    metrics.clientWebhookAttempt(null);
    metrics.clientWebhookAttempt('timeout after 10000 ms');
    metrics.clientWebhookAttempt('HTTP 500');
    metrics.clientWebhookAttempt('connection failed: ECONNREFUSED');
    const text = await metrics.render();
    expect(text).toContain('waverify_client_webhook_attempts_total{outcome="delivered"} 1');
    expect(text).toContain('waverify_client_webhook_attempts_total{outcome="timeout"} 1');
    expect(text).toContain('waverify_client_webhook_attempts_total{outcome="failed"} 2');
  });

  it('labels HTTP requests by route pattern, unmatched without one, and bounds the method', async () => {
    const metrics = service();
    metrics.httpRequest('GET', '/v1/verifications/:id', 200, 0.01);
    metrics.httpRequest('GET', undefined, 404, 0.001);
    metrics.httpRequest('PROPFIND', undefined, 404, 0.001);
    const text = await metrics.render();
    expect(text).toContain(
      'waverify_http_request_duration_seconds_count{method="GET",route="/v1/verifications/:id",status_code="200"} 1',
    );
    expect(text).toContain(
      'waverify_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(text).toContain(
      'waverify_http_request_duration_seconds_count{method="OTHER",route="unmatched",status_code="404"} 1',
    );
  });
});
