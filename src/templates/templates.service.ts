import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DeliveryError } from '../providers/messaging-provider';
import {
  AuthenticationTemplateSpec,
  MetaApiError,
  MetaTemplatesClient,
  TemplateSummary,
} from '../providers/meta/meta-templates.client';
import { ProviderRegistry } from '../providers/provider-registry';
import { DEFAULT_TTL_SECONDS } from '../verification/verification.types';

export interface TemplateSyncResult {
  created: string[];
  existing: string[];
  failed: { language: string; error: string }[];
}

/** "This code expires in N minutes": the default TTL in whole minutes, within Meta's 1..90. */
export function codeExpirationMinutes(ttlSeconds: number): number {
  return Math.min(90, Math.max(1, Math.floor(ttlSeconds / 60)));
}

/** How long WhatsApp may keep delivering: never past the code's life, within Meta's 30..900 s. */
export function messageSendTtlSeconds(ttlSeconds: number): number {
  return Math.min(900, Math.max(30, ttlSeconds));
}

/**
 * The WhatsApp authentication templates on the Business Account (META_WABA_ID): one template named
 * META_OTP_TEMPLATE per language of META_TEMPLATE_LANGUAGES, created with the OTP button of
 * META_OTP_BUTTON. A sync only creates what is missing, so running it again changes nothing.
 */
@Injectable()
export class TemplatesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<TemplateSummary[]> {
    return this.graphCall(() => this.client().listByName(this.config.meta.otpTemplate));
  }

  async sync(actor: Actor): Promise<TemplateSyncResult> {
    const client = this.client();
    const meta = this.config.meta;
    const present = await this.graphCall(() => client.listByName(meta.otpTemplate));
    const languages = new Set(present.map((template) => template.language));
    const result: TemplateSyncResult = { created: [], existing: [], failed: [] };
    // One language at a time: a handful of calls, and Meta rate-limits template creation.
    for (const language of meta.templateLanguages) {
      if (languages.has(language)) {
        result.existing.push(language);
        continue;
      }
      try {
        await client.createAuthentication(this.specFor(language));
        result.created.push(language);
      } catch (error) {
        result.failed.push({ language, error: TemplatesService.reason(error) });
      }
    }
    await this.audit.record({
      type: 'templates.synced',
      appId: null,
      actor,
      data: {
        name: meta.otpTemplate,
        otpButton: meta.otpButton,
        created: result.created,
        existing: result.existing,
        failed: result.failed.map((failure) => failure.language),
      },
    });
    return result;
  }

  private specFor(language: string): AuthenticationTemplateSpec {
    const meta = this.config.meta;
    return {
      name: meta.otpTemplate,
      language,
      codeExpirationMinutes: codeExpirationMinutes(DEFAULT_TTL_SECONDS),
      messageSendTtlSeconds: messageSendTtlSeconds(DEFAULT_TTL_SECONDS),
      otpButton: meta.otpButton,
      androidApps: meta.androidApps,
    };
  }

  private client(): MetaTemplatesClient {
    const client = this.registry.metaTemplates();
    if (client) return client;
    throw new DomainException(
      ErrorCode.TEMPLATES_NOT_CONFIGURED,
      this.config.whatsappProvider !== 'meta'
        ? `WhatsApp templates are managed on Meta only (WHATSAPP_PROVIDER is ${this.config.whatsappProvider})`
        : 'META_WABA_ID is not set: the WhatsApp Business Account id is needed to manage templates',
    );
  }

  /** A Graph failure on a read the answer depends on: 502 `provider_error`, never a 500. */
  private async graphCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof MetaApiError || error instanceof DeliveryError)
        throw new DomainException(ErrorCode.PROVIDER_ERROR, `Graph API: ${error.message}`);
      throw error;
    }
  }

  private static reason(error: unknown): string {
    if (error instanceof MetaApiError || error instanceof DeliveryError) return error.message;
    throw error;
  }
}
