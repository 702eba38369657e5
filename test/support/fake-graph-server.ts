import { FakeHttpServer, FakeReply, RecordedRequest } from './fake-http-server';

export type { RecordedRequest } from './fake-http-server';

const MESSAGES_PATH = /^\/([^/]+)\/([^/]+)\/messages$/;
const TEMPLATES_PATH = /^\/([^/]+)\/([^/]+)\/message_templates$/;
const PHONE_NUMBER_PATH = /^\/([^/]+)\/([^/]+)$/;

/** What `GET /:version/:phoneNumberId` answers as `display_phone_number`. */
export const FAKE_DISPLAY_PHONE_NUMBER = '+1 555-000-1111';

/** Body of a Cloud API send as the fake received it (only the fields the tests read). */
export interface GraphSendBody {
  messaging_product?: string;
  recipient_type?: string;
  to?: string;
  /** A business-scoped user id (BSUID), when the send is addressed to one instead of `to`. */
  recipient?: string;
  type?: string;
  template?: {
    name?: string;
    language?: { code?: string };
    components?: {
      type?: string;
      sub_type?: string;
      index?: string;
      parameters?: { type?: string; text?: string }[];
    }[];
  };
  text?: { preview_url?: boolean; body?: string };
}

/** A message template as the fake WhatsApp Business Account holds it. */
export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: Record<string, unknown>[];
}

/** Body of `POST /:version/:wabaId/message_templates` as the fake received it. */
export interface GraphTemplateCreateBody {
  name?: string;
  language?: string;
  category?: string;
  message_send_ttl_seconds?: number;
  components?: Record<string, unknown>[];
}

/**
 * A stand-in for Meta's Graph API at the HTTP boundary: `POST /:version/:phoneNumberId/messages`
 * answers like the Cloud API (`{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }`),
 * `GET /:version/:phoneNumberId` with `{ display_phone_number, id }`, and the message templates of
 * a WhatsApp Business Account: `GET /:version/:wabaId/message_templates` (`{ data, paging }`, `name`
 * and `limit` honoured, later pages through `paging.next`) and `POST` to the same path (stored as
 * `PENDING`; the same name and language twice is refused like Meta does).
 * Point `META_API_BASE_URL` at {@link start}'s URL.
 */
export class FakeGraphServer extends FakeHttpServer {
  /** Templates per WhatsApp Business Account id. */
  readonly templates = new Map<string, FakeTemplate[]>();
  /** Template languages whose creation is refused (Graph error 100, as for an unsupported language). */
  readonly refusedTemplateLanguages = new Set<string>();

  /** Also forgets the templates and the refused languages. */
  override reset(): void {
    super.reset();
    this.templates.clear();
    this.refusedTemplateLanguages.clear();
  }

  /** Puts a template on a WABA as if it had been created earlier (any status). */
  seedTemplate(
    wabaId: string,
    template: Omit<FakeTemplate, 'id' | 'category' | 'components'> & Partial<FakeTemplate>,
  ): void {
    const list = this.templates.get(wabaId) ?? [];
    list.push({
      id: String(1_000_000 + list.length),
      category: 'AUTHENTICATION',
      components: [],
      ...template,
    });
    this.templates.set(wabaId, list);
  }

  /** The bodies of the template creations received, in order. */
  templateCreates(): (RecordedRequest & { body: GraphTemplateCreateBody })[] {
    return this.requests.filter(
      (r) => r.method === 'POST' && TEMPLATES_PATH.test(r.path.split('?')[0]),
    ) as (RecordedRequest & { body: GraphTemplateCreateBody })[];
  }

  /** The last send addressed to a business-scoped user id (`recipient`), or undefined. */
  lastMessageToUserId(userId: string): (RecordedRequest & { body: GraphSendBody }) | undefined {
    for (let i = this.requests.length - 1; i >= 0; i -= 1) {
      const request = this.requests[i];
      const body = request.body as GraphSendBody | null;
      if (MESSAGES_PATH.test(request.path) && body?.recipient === userId) {
        return request as RecordedRequest & { body: GraphSendBody };
      }
    }
    return undefined;
  }

  /** The last send to `phoneDigits` (with or without `+`), or undefined. */
  lastMessageTo(phoneDigits: string): (RecordedRequest & { body: GraphSendBody }) | undefined {
    const digits = phoneDigits.replace(/^\+/, '');
    for (let i = this.requests.length - 1; i >= 0; i -= 1) {
      const request = this.requests[i];
      const body = request.body as GraphSendBody | null;
      if (MESSAGES_PATH.test(request.path) && body?.to === digits) {
        return request as RecordedRequest & { body: GraphSendBody };
      }
    }
    return undefined;
  }

  /** The code carried by the last authentication-template send to `phoneDigits`. */
  lastCodeTo(phoneDigits: string): string | undefined {
    const body = this.lastMessageTo(phoneDigits)?.body;
    return body?.template?.components?.find((c) => c.type === 'body')?.parameters?.[0]?.text;
  }

  protected handle(request: RecordedRequest): FakeReply {
    const path = request.path.split('?')[0];
    const phoneNumber = PHONE_NUMBER_PATH.exec(path);
    if (request.method === 'GET' && phoneNumber) {
      // A phone number node (what `wa-verify doctor` reads to check the token).
      if (!/^Bearer .+/.test(String(request.headers.authorization ?? '')))
        return { status: 401, body: this.graphError(401, 190, 'Invalid OAuth access token.') };
      return {
        status: 200,
        body: { display_phone_number: FAKE_DISPLAY_PHONE_NUMBER, id: phoneNumber[2] },
      };
    }
    const templates = TEMPLATES_PATH.exec(path);
    if (templates) {
      if (!/^Bearer .+/.test(String(request.headers.authorization ?? '')))
        return { status: 401, body: this.graphError(401, 190, 'Invalid OAuth access token.') };
      return request.method === 'GET'
        ? this.listTemplates(templates[2], request.path)
        : this.createTemplate(templates[2], request.body as GraphTemplateCreateBody | null);
    }
    if (request.method !== 'POST' || !MESSAGES_PATH.test(path)) {
      return { status: 404, body: this.graphError(404, 803, 'Unknown path components') };
    }
    if (!/^Bearer .+/.test(String(request.headers.authorization ?? ''))) {
      return { status: 401, body: this.graphError(401, 190, 'Invalid OAuth access token.') };
    }
    const body = request.body as GraphSendBody | null;
    if (
      !body ||
      typeof body !== 'object' ||
      body.messaging_product !== 'whatsapp' ||
      !(body.to || body.recipient)
    ) {
      return { status: 400, body: this.graphError(400, 100, 'Invalid parameter') };
    }
    if (!body.to && body.type === 'template') {
      // What Meta answers for an authentication template to a business-scoped user id.
      return {
        status: 400,
        body: this.graphError(400, 131062, 'Business-scoped User ID recipients not supported'),
      };
    }
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        // `to` wins over `recipient` (Meta's precedence); a user-id send answers with user_id.
        contacts: [
          body.to
            ? { input: body.to, wa_id: body.to }
            : { input: body.recipient, user_id: body.recipient },
        ],
        messages: [{ id: `wamid.${Buffer.from(FakeHttpServer.randomHex(16)).toString('base64')}` }],
      },
    };
  }

  private listTemplates(wabaId: string, rawPath: string): FakeReply {
    const query = new URL(rawPath, 'http://fake').searchParams;
    const name = query.get('name');
    const limit = Math.max(1, Number(query.get('limit') ?? 25));
    const offset = Number(query.get('after') ?? 0);
    const all = (this.templates.get(wabaId) ?? []).filter(
      (template) => name === null || template.name.includes(name),
    );
    const page = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const next = new URL(rawPath, 'http://fake');
    next.searchParams.set('after', String(offset + limit));
    return {
      status: 200,
      body: {
        data: page.map((template) => ({ ...template })),
        paging: {
          cursors: { before: String(offset), after: String(offset + page.length) },
          // Meta's `next` is an absolute URL on the Graph host.
          ...(more ? { next: `${this.url()}${next.pathname}${next.search}` } : {}),
        },
      },
    };
  }

  private createTemplate(wabaId: string, body: GraphTemplateCreateBody | null): FakeReply {
    if (!body || typeof body.name !== 'string' || typeof body.language !== 'string')
      return { status: 400, body: this.graphError(400, 100, 'Invalid parameter') };
    if (this.refusedTemplateLanguages.has(body.language))
      return { status: 400, body: this.graphError(400, 100, 'Invalid parameter') };
    const list = this.templates.get(wabaId) ?? [];
    if (list.some((t) => t.name === body.name && t.language === body.language))
      return {
        status: 400,
        body: this.graphError(400, 100, 'Message template already exists'),
      };
    const template: FakeTemplate = {
      id: String(2_000_000 + list.length),
      name: body.name,
      language: body.language,
      status: 'PENDING',
      category: String(body.category ?? ''),
      components: body.components ?? [],
    };
    list.push(template);
    this.templates.set(wabaId, list);
    return {
      status: 200,
      body: { id: template.id, status: 'PENDING', category: template.category },
    };
  }

  protected defaultErrorBody(status: number): unknown {
    if (status === 429) return this.graphError(status, 130429, 'Rate limit hit');
    if (status >= 500) return this.graphError(status, 131000, 'Something went wrong');
    return this.graphError(status, 131026, 'Message undeliverable');
  }

  private graphError(_status: number, code: number, message: string): unknown {
    return {
      error: {
        message,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details: message },
        fbtrace_id: `A${FakeHttpServer.randomHex(10)}`,
      },
    };
  }
}
