import { FakeHttpServer, FakeReply, RecordedRequest } from './fake-http-server';

export type { RecordedRequest } from './fake-http-server';

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/;

/** Form fields of a Twilio send. */
export interface TwilioSendBody {
  To?: string;
  From?: string;
  Body?: string;
  StatusCallback?: string;
}

/**
 * A stand-in for Twilio's Messages API: `POST /2010-04-01/Accounts/:sid/Messages.json` (form body,
 * basic auth `accountSid:authToken`, else 401) answers `{ sid: 'SM<32 hex>', status: 'queued' }`;
 * `GET /2010-04-01/Accounts/:sid.json` (same auth) answers the account `{ sid, status: 'active' }`.
 * Point `TWILIO_API_BASE_URL` at {@link start}'s URL.
 */
export class FakeTwilioServer extends FakeHttpServer {
  constructor(
    readonly accountSid = `AC${FakeHttpServer.randomHex(16)}`,
    readonly authToken = FakeHttpServer.randomHex(16),
  ) {
    super();
  }

  /** The last send whose `To` is `to` (E.164, with or without the `whatsapp:` prefix). */
  lastMessageTo(to: string): (RecordedRequest & { body: TwilioSendBody }) | undefined {
    const wanted = to.replace(/^whatsapp:/, '');
    for (let i = this.requests.length - 1; i >= 0; i -= 1) {
      const request = this.requests[i];
      const body = request.body as TwilioSendBody | null;
      if (body?.To?.replace(/^whatsapp:/, '') === wanted) {
        return request as RecordedRequest & { body: TwilioSendBody };
      }
    }
    return undefined;
  }

  protected handle(request: RecordedRequest): FakeReply {
    const path = request.path.split('?')[0];
    const account = ACCOUNT_PATH.exec(path);
    if (request.method === 'GET' && account) {
      // The account resource (what `wa-verify doctor` reads to check the credentials).
      if (
        request.headers.authorization !== this.expectedAuthorization() ||
        decodeURIComponent(account[1]) !== this.accountSid
      )
        return { status: 401, body: this.twilioError(401, 20003, 'Authenticate') };
      return {
        status: 200,
        body: { sid: this.accountSid, friendly_name: 'Fake account', status: 'active' },
      };
    }
    const match = MESSAGES_PATH.exec(path);
    if (request.method !== 'POST' || !match) {
      return {
        status: 404,
        body: this.twilioError(404, 20404, 'The requested resource was not found'),
      };
    }
    if (
      request.headers.authorization !== this.expectedAuthorization() ||
      decodeURIComponent(match[1]) !== this.accountSid
    ) {
      return { status: 401, body: this.twilioError(401, 20003, 'Authenticate') };
    }
    const body = request.body as TwilioSendBody | null;
    if (!body || typeof body !== 'object' || !body.To || !body.From || !body.Body) {
      return {
        status: 400,
        body: this.twilioError(400, 21604, "A 'To' phone number is required."),
      };
    }
    return {
      status: 201,
      body: {
        sid: `SM${FakeHttpServer.randomHex(16)}`,
        account_sid: this.accountSid,
        to: body.To,
        from: body.From,
        body: body.Body,
        status: 'queued',
        error_code: null,
        error_message: null,
      },
    };
  }

  protected defaultErrorBody(status: number): unknown {
    if (status === 429) return this.twilioError(status, 20429, 'Too Many Requests');
    if (status >= 500) return this.twilioError(status, 20500, 'Internal Server Error');
    return this.twilioError(status, 21211, "The 'To' number is not a valid phone number.");
  }

  private expectedAuthorization(): string {
    return `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
  }

  private twilioError(status: number, code: number, message: string): unknown {
    return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
  }
}
