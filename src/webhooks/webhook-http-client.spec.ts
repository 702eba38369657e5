import { LookupAddress } from 'node:dns';
import { createServer, Server } from 'node:net';
import { HostResolver } from './host-resolver';
import { WebhookHttpClient } from './webhook-http-client';
import { WebhookUrlPolicy } from './webhook-url.policy';

/** Answers every name with 127.0.0.1: a name that was public at registration, rebound to loopback. */
class ReboundResolver extends HostResolver {
  lookups = 0;

  lookup(): Promise<LookupAddress[]> {
    this.lookups += 1;
    return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  }
}

describe('WebhookHttpClient in production', () => {
  let server: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('never connects to a name that resolves to loopback at send time (DNS rebinding)', async () => {
    const resolver = new ReboundResolver();
    const client = new WebhookHttpClient(new WebhookUrlPolicy({ isProduction: true }, resolver));
    const result = await client.post(`https://hooks.example.com:${port}/hook`, {}, '{}', 2_000);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/^refused: .*127\.0\.0\.1/);
    expect(resolver.lookups).toBeGreaterThan(0);
    expect(connections).toBe(0);
  });

  it('refuses an IPv4-mapped loopback literal without connecting', async () => {
    const client = new WebhookHttpClient(
      new WebhookUrlPolicy({ isProduction: true }, new ReboundResolver()),
    );
    const result = await client.post(`https://[::ffff:7f00:1]:${port}/hook`, {}, '{}', 2_000);
    expect(result.error).toMatch(/^refused: /);
    expect(connections).toBe(0);
  });
});
