import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { DeliveryError } from './messaging-provider';
import { ProviderHttpClient } from './provider-http';

/** Connections the test servers hold open (the client keeps them alive): closed after each test. */
const sockets = new Set<Socket>();

/**
 * A provider API on 127.0.0.1 that answers the first request of each connection and keeps it
 * open, then closes the connection when a second request arrives on it without answering, as a
 * server does when it drops an idle keep-alive connection the moment the client reuses it.
 */
async function closingServer(
  mode: 'close-reused' | 'close-always',
): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let served = 0;
    socket.on('data', (chunk: Buffer) => {
      if (!chunk.toString('latin1').includes('\r\n\r\n')) return;
      requests += 1;
      served += 1;
      if (mode === 'close-always' || served > 1) {
        socket.destroy();
        return;
      }
      const body = '{"ok":true}';
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/send`, requests: () => requests };
}

describe('ProviderHttpClient', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  it('sends again on a new connection when a reused keep-alive connection is closed under the request', async () => {
    const { server, url, requests } = await closingServer('close-reused');
    servers.push(server);
    const client = new ProviderHttpClient('test', 2_000);
    expect(await client.post(url, {}, '{"n":1}')).toEqual({ status: 200, json: { ok: true } });
    // The second send goes out on the kept connection, which the server closes unanswered.
    expect(await client.post(url, {}, '{"n":2}')).toEqual({ status: 200, json: { ok: true } });
    expect(requests()).toBe(3);
  });

  it('does not send again when a fresh connection fails: a retryable delivery error', async () => {
    const { server, url, requests } = await closingServer('close-always');
    servers.push(server);
    const client = new ProviderHttpClient('test', 2_000);
    const failure = await client.post(url, {}, '{}').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({ retryable: true });
    expect(requests()).toBe(1);
  });
});
