import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/**
 * How the proxy treats connections: `pass` relays to the target; `refuse` closes the listening
 * socket (connects get ECONNREFUSED); `blackhole` accepts connections and never answers (the
 * harder case: a peer that is gone without a reset, so clients hang until their own timeouts).
 */
export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/** A TCP relay on 127.0.0.1 (random port) that a test owns and can cut. */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private mode: ProxyMode = 'pass';
  private portNumber = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get port(): number {
    return this.portNumber;
  }

  async start(): Promise<number> {
    await this.listen(0);
    return this.portNumber;
  }

  /** Drops every open connection, then treats new ones per `mode`. */
  async cut(mode: Exclude<ProxyMode, 'pass'>): Promise<void> {
    this.mode = mode;
    this.dropAll();
    if (mode === 'refuse') await this.closeListener();
  }

  /** Relays again (listening on the same port). Connections held by a black hole are dropped. */
  async restore(): Promise<void> {
    this.mode = 'pass';
    this.dropAll();
    if (!this.server) await this.listen(this.portNumber);
  }

  async close(): Promise<void> {
    this.dropAll();
    await this.closeListener();
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.portNumber = (server.address() as AddressInfo).port;
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode !== 'pass') return; // black hole: held open, never answered
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
