import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One client webhook as the receiver got it. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed body (only set when the signature verified with one of the path's secrets). */
  body: WebhookBody | null;
  /** Index (in the list given to {@link WebhookReceiver.expect}) of every secret whose signature verified. */
  verifiedWith: number[];
  status: number;
  /** `Date.now()` when the request was complete. */
  receivedAt: number;
}

export interface WebhookBody {
  type: string;
  timestamp: string;
  data: { id: string; status: string; metadata: Record<string, unknown>; [key: string]: unknown };
}

interface Route {
  secrets: string[];
  failures: number[];
  failAll: number | null;
  /** Accept the request and never answer (until the client gives up or the receiver stops). */
  hang: boolean;
  /** Delay of this path's answers (added to the receiver-wide `delayMs`). */
  delayMs: number;
  /** Requests of this path currently open (received, connection not yet closed). */
  open: number;
  /** The most requests of this path that were open at once. */
  maxOpen: number;
}

/**
 * A client's webhook endpoint on 127.0.0.1 (port 0). Each test registers a path with the secrets it
 * expects; every request is verified with `standardwebhooks` against each of them and recorded. A path
 * can be told to fail its next requests or all of them, to answer slowly or to hang (accept and
 * never answer); `delayMs` slows every answer. Open requests are counted per path.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  delayMs = 0;
  private readonly routes = new Map<string, Route>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private base = '';
  private counter = 0;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const opened = this.routes.get(req.url ?? '/');
      if (opened) {
        opened.open += 1;
        opened.maxOpen = Math.max(opened.maxOpen, opened.open);
        res.on('close', () => (opened.open -= 1));
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const route = this.routes.get(path);
        const verifiedWith = (route?.secrets ?? []).flatMap((secret, index) =>
          verifies(secret, rawBody, req.headers) ? [index] : [],
        );
        const status = route
          ? (route.failures.shift() ?? route.failAll ?? (verifiedWith.length > 0 ? 200 : 401))
          : 404;
        const body = verifiedWith.length > 0 ? (JSON.parse(rawBody) as WebhookBody) : null;
        this.received.push({
          path,
          headers: req.headers,
          rawBody,
          body,
          verifiedWith,
          status,
          receivedAt: Date.now(),
        });
        if (route?.hang) return;
        setTimeout(
          () => {
            if (!res.destroyed)
              res
                .writeHead(status, { 'content-type': 'text/plain' })
                .end(status < 300 ? 'ok' : 'nope');
          },
          this.delayMs + (route?.delayMs ?? 0),
        );
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A new endpoint path verified with `secrets`; returns its full URL. */
  expect(secrets: string[]): string {
    this.counter += 1;
    const path = `/hooks/${this.counter}`;
    this.routes.set(path, {
      secrets,
      failures: [],
      failAll: null,
      hang: false,
      delayMs: 0,
      open: 0,
      maxOpen: 0,
    });
    return `${this.base}${path}`;
  }

  setSecrets(url: string, secrets: string[]): void {
    this.route(url).secrets = secrets;
  }

  failNext(url: string, n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.route(url).failures.push(status);
  }

  failAll(url: string, status: number | null): void {
    this.route(url).failAll = status;
  }

  /** The path accepts requests and never answers them (`false` answers again). */
  hang(url: string, hang = true): void {
    this.route(url).hang = hang;
  }

  /** Every answer of the path waits `ms` more. */
  slow(url: string, ms: number): void {
    this.route(url).delayMs = ms;
  }

  /** Requests of the path open now, and the most that were open at once. */
  concurrency(url: string): { open: number; maxOpen: number } {
    const { open, maxOpen } = this.route(url);
    return { open, maxOpen };
  }

  at(url: string): ReceivedWebhook[] {
    const path = new URL(url).pathname;
    return this.received.filter((hook) => hook.path === path);
  }

  private route(url: string): Route {
    const route = this.routes.get(new URL(url).pathname);
    if (!route) throw new Error(`unknown receiver path ${url}`);
    return route;
  }
}

function verifies(secret: string, rawBody: string, headers: IncomingHttpHeaders): boolean {
  try {
    new Webhook(secret).verify(rawBody, {
      'webhook-id': String(headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    });
    return true;
  } catch {
    return false;
  }
}
