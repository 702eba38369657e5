import { describeClientFlows } from '../clients/typescript/test/client-flows';
import { ADMIN_KEY, startApp, TestApp, uniquePhone } from './support/harness';
import { waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

/** The TypeScript client (clients/typescript) against the real app: both flows and a client webhook. */
describe('TypeScript client', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  describeClientFlows(() => ({
    baseUrl: t.url,
    adminKey: ADMIN_KEY,
    newPhone: () => uniquePhone(),
    newWebhookEndpoint: () => {
      const url = receiver.expect([]);
      return { url, received: () => receiver.at(url) };
    },
    waitFor: (probe) => waitFor(probe, 10_000),
  }));
});
