import { FakeHttpServer, FakeReply, RecordedRequest } from './fake-http-server';

export type { RecordedRequest } from './fake-http-server';

const MESSAGES_PATH = /^\/([^/]+)\/([^/]+)\/messages$/;
const PHONE_NUMBER_PATH = /^\/([^/]+)\/([^/]+)$/;

/** What `GET /:version/:phoneNumberId` answers as `display_phone_number`. */
export const FAKE_DISPLAY_PHONE_NUMBER = '+1 555-000-1111';

/** Body of a Cloud API send as the fake received it (only the fields the tests read). */
export interface GraphSendBody {
  messaging_product?: string;
  recipient_type?: string;
  to?: string;
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

/**
 * A stand-in for Meta's Graph API at the HTTP boundary: `POST /:version/:phoneNumberId/messages`
 * answers like the Cloud API (`{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id }] }`),
 * `GET /:version/:phoneNumberId` with `{ display_phone_number, id }`.
 * Point `META_API_BASE_URL` at {@link start}'s URL.
 */
export class FakeGraphServer extends FakeHttpServer {
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
    if (request.method !== 'POST' || !MESSAGES_PATH.test(path)) {
      return { status: 404, body: this.graphError(404, 803, 'Unknown path components') };
    }
    if (!/^Bearer .+/.test(String(request.headers.authorization ?? ''))) {
      return { status: 401, body: this.graphError(401, 190, 'Invalid OAuth access token.') };
    }
    const body = request.body as GraphSendBody | null;
    if (!body || typeof body !== 'object' || body.messaging_product !== 'whatsapp' || !body.to) {
      return { status: 400, body: this.graphError(400, 100, 'Invalid parameter') };
    }
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: `wamid.${Buffer.from(FakeHttpServer.randomHex(16)).toString('base64')}` }],
      },
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
