import { waitFor } from '../support/wait';
import { ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';
import { approve, createTenant, createVerification, Tenant } from './support/api';
import { freshDatabase, FreshDatabase } from './support/mariadb';
import { ServiceProcess } from './support/service';

const APPROVALS = 20;

/**
 * kill -9 while client webhooks are being delivered: 20 approvals queued for a receiver that
 * answers 500, the service is SIGKILLed mid-delivery and started again on the same database. Every
 * approval must still arrive, under the webhook-id it had before the kill and with the same bytes.
 */
describe('SIGKILL during client-webhook delivery', () => {
  let db: FreshDatabase;
  let service: ServiceProcess;
  const receiver = new WebhookReceiver();
  let hookUrl: string;
  let tenant: Tenant;
  const approvedIds: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase('kill9');
    await receiver.start();
    hookUrl = receiver.expect([]);
    receiver.failAll(hookUrl, 500);
    // Slow answers keep attempts in flight, so the kill lands in the middle of deliveries.
    receiver.delayMs = 300;
    service = await ServiceProcess.start({
      DATABASE_URL: db.url,
      // Long enough that no delivery runs out of attempts before the restart.
      WEBHOOK_RETRY_SCHEDULE: '1s,2s,5s,10s,20s,30s',
      WEBHOOK_TIMEOUT: '2s',
      // The subject is the kill: the circuit breaker (tested on its own in the e2e suite) would
      // park the failing endpoint before every approval has been attempted once.
      WEBHOOK_BREAKER_FAILURES: '1000',
    });
    tenant = await createTenant(service, { webhookUrl: hookUrl });
    receiver.setSecrets(hookUrl, [tenant.webhookSecret]);
  });

  afterAll(async () => {
    await service?.stop();
    await receiver.stop();
    await db?.drop();
  });

  const approvalsAt = (hooks: ReceivedWebhook[]): ReceivedWebhook[] =>
    hooks.filter((hook) => hook.body?.type === 'verification.approved');

  it('delivers every approval after the restart, with its original webhook-id and identical bytes', async () => {
    for (let i = 0; i < APPROVALS; i++) {
      const verification = await createVerification(service, tenant);
      await approve(service, tenant, verification);
      approvedIds.push(verification.id);
    }

    // Every approval has been attempted (and refused) at least once…
    await waitFor(
      () =>
        new Set(approvalsAt(receiver.at(hookUrl)).map((hook) => hook.body!.data.id)).size ===
        APPROVALS,
      30_000,
      20,
    );
    // …then the kill lands right after a new attempt reached the receiver, while it is in flight.
    const seen = receiver.received.length;
    await waitFor(() => receiver.received.length > seen, 15_000, 5);
    await service.kill('SIGKILL');
    expect(service.alive).toBe(false);
    const beforeKill = receiver.at(hookUrl).length;

    await service.restart();
    receiver.delayMs = 0;
    receiver.failAll(hookUrl, null); // answers 200 from now on (signature checked)

    const delivered = () =>
      new Set(
        approvalsAt(receiver.at(hookUrl))
          .filter((hook) => hook.status === 200)
          .map((hook) => hook.body!.data.id),
      );
    // Rows leased by the killed process come back once their lease expires (timeout + margin).
    await waitFor(() => delivered().size === APPROVALS, 120_000, 200);

    const hooks = receiver.at(hookUrl);
    expect(hooks.every((hook) => hook.verifiedWith.includes(0))).toBe(true);
    const approvals = approvalsAt(hooks);
    expect([...delivered()].sort()).toEqual([...approvedIds].sort());
    for (const id of approvedIds) {
      const attempts = approvals.filter((hook) => hook.body!.data.id === id);
      const before = attempts.filter((hook) => hooks.indexOf(hook) < beforeKill);
      const after = attempts.filter((hook) => hooks.indexOf(hook) >= beforeKill);
      expect({ id, before: before.length > 0, after: after.length > 0 }).toEqual({
        id,
        before: true,
        after: true,
      });
      // One webhook-id per approval, the same before and after the kill, and the same bytes.
      expect(new Set(attempts.map((hook) => hook.headers['webhook-id'])).size).toBe(1);
      expect(new Set(attempts.map((hook) => hook.rawBody)).size).toBe(1);
      expect(before.some((hook) => hook.status === 500)).toBe(true);
    }
    // 20 approvals, 20 distinct webhook-ids.
    expect(new Set(approvals.map((hook) => hook.headers['webhook-id'])).size).toBe(APPROVALS);
    process.stdout.write(
      `kill -9: ${approvals.length} attempts recorded for ${APPROVALS} approvals (${beforeKill} before the kill)\n`,
    );
  });
});
