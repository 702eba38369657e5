import { Webhook } from 'standardwebhooks';
import { App } from '../apps/entities/app.entity';

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** The secrets that sign a webhook sent at `now`: the current one, plus the previous one during its grace period. */
export function signingSecrets(
  app: Pick<App, 'webhookSecret' | 'previousWebhookSecret' | 'previousWebhookSecretExpiresAt'>,
  now: number,
): string[] {
  const secrets = [app.webhookSecret];
  if (app.previousWebhookSecret && (app.previousWebhookSecretExpiresAt ?? 0) > now)
    secrets.push(app.previousWebhookSecret);
  return secrets;
}

/**
 * Standard Webhooks headers for one attempt: `webhook-id` (the delivery id, the same on every retry),
 * `webhook-timestamp` (seconds) and `webhook-signature` with one `v1,<base64>` per secret, space-separated.
 */
export function webhookHeaders(
  id: string,
  payload: string,
  secrets: readonly string[],
  at: Date,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(id, at, payload))
      .join(' '),
  };
}
