import { randomBytes } from 'node:crypto';
import {
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** One request as the fake server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** JSON → object, form-urlencoded → record of strings, anything else → the raw text. */
  body: unknown;
  rawBody: string;
}

export interface FakeReply {
  status: number;
  body: unknown;
}

/**
 * Shared machinery of the fake provider servers: a node:http server on 127.0.0.1 (port 0) that
 * records every request and can be told to fail (`failNext`, `failAll`) or to be slow (`delayMs`).
 */
export abstract class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  /** Delay before each answer, in ms (set it above a client timeout to simulate a hang). */
  delayMs = 0;

  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pendingFailures: FakeReply[] = [];
  private permanentFailure: FakeReply | null = null;
  private baseUrl: string | null = null;

  /** Starts listening; resolves with the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    if (this.baseUrl) return this.baseUrl;
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  /** The base URL while listening (`http://127.0.0.1:<port>`). */
  protected url(): string {
    if (!this.baseUrl) throw new Error('fake server is not listening');
    return this.baseUrl;
  }

  /** Stops listening and drops open connections (including ones kept waiting by `delayMs`). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.baseUrl = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Forgets recorded requests and programmed failures; `delayMs` back to 0. */
  reset(): void {
    this.requests.length = 0;
    this.pendingFailures = [];
    this.permanentFailure = null;
    this.delayMs = 0;
  }

  /** The next `n` requests are answered with `status` (and `body`, or a vendor-shaped default). */
  failNext(n: number, status: number, body?: unknown): void {
    for (let i = 0; i < n; i += 1) {
      this.pendingFailures.push({ status, body: body ?? this.defaultErrorBody(status) });
    }
  }

  /** Every request is answered with `status` until `failAll(null)`. */
  failAll(status: number | null, body?: unknown): void {
    this.permanentFailure =
      status === null ? null : { status, body: body ?? this.defaultErrorBody(status) };
  }

  /** Answer for a request that passed the programmed failures. */
  protected abstract handle(request: RecordedRequest): FakeReply;

  protected abstract defaultErrorBody(status: number): unknown;

  protected static randomHex(bytes: number): string {
    return randomBytes(bytes).toString('hex');
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: FakeHttpServer.parseBody(req.headers['content-type'], rawBody),
      rawBody,
    };
    this.requests.push(request);

    const reply = this.pendingFailures.shift() ?? this.permanentFailure ?? this.handle(request);
    if (this.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, this.delayMs);
        this.timers.add(timer);
      });
    }
    if (res.destroyed) return;
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private static parseBody(contentType: string | undefined, rawBody: string): unknown {
    if (rawBody.length === 0) return null;
    if (contentType?.includes('application/json')) {
      try {
        return JSON.parse(rawBody) as unknown;
      } catch {
        return rawBody;
      }
    }
    if (contentType?.includes('application/x-www-form-urlencoded')) {
      return Object.fromEntries(new URLSearchParams(rawBody));
    }
    return rawBody;
  }
}
