/**
 * A fake WhatsApp Cloud API (Graph API) on 127.0.0.1 for the service's Meta adapter: it answers
 * every send like the Cloud API, remembers the code of each authentication template (so clients
 * can type it) and reports every free-form text (the inbound confirmation replies).
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

interface SendBody {
  to?: string;
  type?: string;
  template?: { components?: { type?: string; parameters?: { text?: string }[] }[] };
}

export class FakeGraph {
  /** Last code sent to each recipient (digits, no `+`), removed when taken. */
  private readonly codes = new Map<string, string>();
  /** Called with the recipient of every text message. */
  onText: ((recipient: string) => void) | null = null;
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body: SendBody = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendBody;
        } catch {
          // a GET or an empty body
        }
        const to = body.to ?? '';
        const code = body.template?.components?.find((c) => c.type === 'body')?.parameters?.[0]
          ?.text;
        if (code) this.codes.set(to, code);
        else if (body.type === 'text') this.onText?.(to);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            messaging_product: 'whatsapp',
            contacts: [{ input: to, wa_id: to }],
            messages: [{ id: `wamid.${randomBytes(12).toString('hex')}` }],
          }),
        );
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The code last sent to `phone` (E.164), forgotten once taken. */
  takeCode(phone: string): string | undefined {
    const digits = phone.replace(/^\+/, '');
    const code = this.codes.get(digits);
    this.codes.delete(digits);
    return code;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
