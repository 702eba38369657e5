import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newWebhookSecret } from './webhook-secret';
import { PREVIOUS_SECRET_GRACE_MS, signingSecrets, webhookHeaders } from './webhook-signer';

describe('client webhook signing (Standard Webhooks)', () => {
  const payload = JSON.stringify({
    type: 'verification.approved',
    timestamp: '2026-01-01T00:00:00.000Z',
    data: { id: 'v1', metadata: { userId: '42' } },
  });
  const id = 'msg_019a8c1e7b9a7c4e9f1a2b3c4d5e6f70';

  it('produces headers that the standardwebhooks verifier accepts', () => {
    const secret = newWebhookSecret();
    const at = new Date();
    const headers = webhookHeaders(id, payload, [secret], at);
    expect(headers['webhook-id']).toBe(id);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it('is rejected with another secret or another body', () => {
    const headers = webhookHeaders(id, payload, [newWebhookSecret()], new Date());
    expect(() => new Webhook(newWebhookSecret()).verify(payload, headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it('carries one space-separated signature per secret, each verifiable on its own', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const headers = webhookHeaders(id, payload, [current, previous], new Date());
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(current).verify(payload, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(payload, headers)).toBeTruthy();
  });

  it('signs with the previous secret only during its grace period', () => {
    const now = Date.UTC(2026, 0, 1);
    const app = {
      webhookSecret: 'whsec_current',
      previousWebhookSecret: 'whsec_previous',
      previousWebhookSecretExpiresAt: now + PREVIOUS_SECRET_GRACE_MS,
    };
    expect(signingSecrets(app, now)).toEqual(['whsec_current', 'whsec_previous']);
    expect(signingSecrets(app, now + PREVIOUS_SECRET_GRACE_MS)).toEqual(['whsec_current']);
    expect(
      signingSecrets(
        { ...app, previousWebhookSecret: null, previousWebhookSecretExpiresAt: null },
        now,
      ),
    ).toEqual(['whsec_current']);
  });
});
