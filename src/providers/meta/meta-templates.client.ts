import { Logger } from '@nestjs/common';
import { AndroidApp, MetaConfig, MetaOtpButton } from '../../config/app-config';
import { JsonRecord, asArray, asString, isRecord, safeVendorText } from '../provider-utils';
import { ProviderHttpClient } from '../provider-http';

/** One message template of the WhatsApp Business Account, as `GET /v1/templates` shows it. */
export interface TemplateSummary {
  name: string;
  language: string;
  /** Meta's review status: `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`… */
  status: string;
  /** The OTP button (`copy_code`, `one_tap`, `zero_tap`), or null when the template has none. */
  otpType: string | null;
}

/** What an authentication template is created with (one language). */
export interface AuthenticationTemplateSpec {
  name: string;
  language: string;
  /** The footer's "This code expires in N minutes" (1..90). */
  codeExpirationMinutes: number;
  /** How long WhatsApp keeps trying to deliver the message (30..900 s, never past the code's life). */
  messageSendTtlSeconds: number;
  otpButton: MetaOtpButton;
  androidApps: AndroidApp[];
}

/** The Graph API refused a template call or could not be reached; the message is safe to show. */
export class MetaApiError extends Error {
  constructor(
    message: string,
    readonly providerCode: string | null,
  ) {
    super(message);
    this.name = 'MetaApiError';
  }
}

/** Pages of `GET …/message_templates` followed at most (100 templates each). */
const MAX_PAGES = 20;

/**
 * The message-templates endpoint of a WhatsApp Business Account
 * (`{base}/{version}/{META_WABA_ID}/message_templates`): lists templates and creates
 * authentication templates. Holds its own HTTP client, like the messaging adapters.
 */
export class MetaTemplatesClient {
  private readonly logger = new Logger(MetaTemplatesClient.name);
  private readonly http: ProviderHttpClient;

  constructor(
    private readonly config: MetaConfig,
    private readonly wabaId: string,
  ) {
    this.http = new ProviderHttpClient('meta', config.timeoutMs);
  }

  /** Every template named `name` (any language, any status), following Meta's paging. */
  async listByName(name: string): Promise<TemplateSummary[]> {
    const query = new URLSearchParams({
      name,
      fields: 'name,language,status,category,components',
      limit: '100',
    });
    let url: string | null = `${this.endpoint()}?${query.toString()}`;
    const found: TemplateSummary[] = [];
    for (let page = 0; url !== null && page < MAX_PAGES; page += 1) {
      const { status, json } = await this.http.get(url, this.headers());
      if (status < 200 || status >= 300) throw this.apiError('list', status, json);
      const body = isRecord(json) ? json : {};
      for (const item of asArray(body.data).filter(isRecord)) {
        const summary = MetaTemplatesClient.summaryOf(item);
        // Meta's `name` filter matches parts of names too.
        if (summary && summary.name === name) found.push(summary);
      }
      const next = isRecord(body.paging) ? asString(body.paging.next) : null;
      // Only pages on the configured Graph host are followed (the token goes with the request).
      url = next && next.startsWith(`${this.config.apiBaseUrl}/`) ? next : null;
    }
    return found;
  }

  /** Creates one authentication template; resolves with Meta's id and initial status. */
  async createAuthentication(
    spec: AuthenticationTemplateSpec,
  ): Promise<{ id: string | null; status: string | null }> {
    const { status, json } = await this.http.post(
      this.endpoint(),
      { ...this.headers(), 'content-type': 'application/json' },
      JSON.stringify(MetaTemplatesClient.authenticationPayload(spec)),
    );
    if (status < 200 || status >= 300) throw this.apiError('create', status, json);
    const body = isRecord(json) ? json : {};
    return { id: asString(body.id), status: asString(body.status) };
  }

  /**
   * Meta's authentication template: fixed body with the security recommendation, the expiry
   * footer, and one OTP button. One-tap and zero-tap name the Android apps (package and signature
   * hash) that may receive the code; zero-tap also accepts Meta's zero-tap terms.
   */
  static authenticationPayload(spec: AuthenticationTemplateSpec): JsonRecord {
    const apps = spec.androidApps.map((app) => ({
      package_name: app.packageName,
      signature_hash: app.signatureHash,
    }));
    const button: JsonRecord =
      spec.otpButton === 'copy_code'
        ? { type: 'OTP', otp_type: 'COPY_CODE' }
        : spec.otpButton === 'one_tap'
          ? { type: 'OTP', otp_type: 'ONE_TAP', supported_apps: apps }
          : {
              type: 'OTP',
              otp_type: 'ZERO_TAP',
              zero_tap_terms_accepted: true,
              supported_apps: apps,
            };
    return {
      name: spec.name,
      language: spec.language,
      category: 'AUTHENTICATION',
      message_send_ttl_seconds: spec.messageSendTtlSeconds,
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: spec.codeExpirationMinutes },
        { type: 'BUTTONS', buttons: [button] },
      ],
    };
  }

  private static summaryOf(item: JsonRecord): TemplateSummary | null {
    const name = asString(item.name);
    const language = asString(item.language);
    if (!name || !language) return null;
    let otpType: string | null = null;
    for (const component of asArray(item.components).filter(isRecord)) {
      if (String(component.type).toUpperCase() !== 'BUTTONS') continue;
      const otp = asArray(component.buttons)
        .filter(isRecord)
        .map((button) => asString(button.otp_type))
        .find((type): type is string => type !== null);
      if (otp) otpType = otp.toLowerCase();
    }
    return { name, language, status: asString(item.status) ?? 'UNKNOWN', otpType };
  }

  private endpoint(): string {
    return `${this.config.apiBaseUrl}/${this.config.apiVersion}/${encodeURIComponent(this.wabaId)}/message_templates`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.config.accessToken}`, accept: 'application/json' };
  }

  private apiError(what: 'list' | 'create', status: number, json: unknown): MetaApiError {
    const error = isRecord(json) && isRecord(json.error) ? json.error : null;
    const code = error ? asString(error.code) : null;
    const title = error
      ? (asString(error.error_user_msg) ?? asString(error.message) ?? `http ${status}`)
      : `http ${status}`;
    this.logger.warn(
      `Graph API answered ${status} to a template ${what}${code ? ` with error ${code}` : ''}`,
    );
    return new MetaApiError(
      code ? `meta error ${code}: ${safeVendorText(title)}` : `meta http ${status}`,
      code,
    );
  }
}
