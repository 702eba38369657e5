import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiKeysService } from '../apps/api-keys.service';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { iso } from '../common/columns';
import { DomainException, ErrorCode, notFound } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { SandboxInboundService } from '../inbound/sandbox-inbound.service';
import { SandboxMessage } from '../providers/entities/sandbox-message.entity';
import { SandboxMessagesService } from '../providers/sandbox/sandbox-messages.service';
import { Verification } from '../verification/entities/verification.entity';
import { InboundLinkService } from '../verification/inbound-link.service';
import { VerificationRepository } from '../verification/verification.repository';
import { VerificationService } from '../verification/verification.service';
import {
  Channel,
  Flow,
  RESEND_COOLDOWN_MS,
  VerificationStatus,
} from '../verification/verification.types';
import { InboundLink } from '../verification/verification.view';
import {
  CreateDemoVerificationDto,
  DemoCheckResultDto,
  DemoConfigDto,
  DemoInboundDto,
  DemoInboundResultDto,
  DemoMessageDto,
  DemoVerificationDto,
} from './demo.dto';

/** Marks the verifications the demo made (visible to the operator in the console and the API). */
export const DEMO_METADATA = { source: 'demo' } as const;

interface DemoApp {
  app: App;
  actor: Actor;
}

/**
 * The server side of /demo: it acts as the development app (CREATE_DEFAULT_APP, never in
 * production) by calling the services in-process, so no API key reaches the browser. The browser
 * names a verification only by a handle the demo issued: `<id>.<HMAC(OTP_PEPPER, id)>`, so a visitor
 * can read or act on the demo's verifications and nothing else of the development app.
 */
@Injectable()
export class DemoService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly apiKeys: ApiKeysService,
    private readonly verifications: VerificationService,
    private readonly repository: VerificationRepository,
    private readonly inboundLinks: InboundLinkService,
    private readonly sandboxMessages: SandboxMessagesService,
    private readonly sandboxInbound: SandboxInboundService,
    private readonly clock: Clock,
  ) {}

  async demoConfig(): Promise<DemoConfigDto> {
    const { app } = await this.demoApp(null);
    return {
      sandbox: this.sandboxMessages.isAvailable(),
      businessNumber: this.config.whatsappBusinessNumber,
      brandName: app.brandName ?? null,
    };
  }

  async create(dto: CreateDemoVerificationDto, ip: string | null): Promise<DemoVerificationDto> {
    const { app, actor } = await this.demoApp(ip);
    const created = await this.verifications.create(
      app,
      {
        flow: dto.flow,
        phone: dto.flow === Flow.OUTBOUND ? (dto.phone ?? undefined) : undefined,
        locale: dto.locale ?? 'en',
        metadata: { ...DEMO_METADATA },
      },
      actor,
    );
    const stored = (await this.repository.findForApp(app.id, created.id))!;
    const link =
      created.waLink && created.waMessage && created.qrCode
        ? { waLink: created.waLink, waMessage: created.waMessage, qrCode: created.qrCode }
        : null;
    return this.view(stored, link);
  }

  async get(handle: string, ip: string | null): Promise<DemoVerificationDto> {
    const { app } = await this.demoApp(ip);
    return this.view(await this.find(app, handle));
  }

  async check(handle: string, code: string, ip: string | null): Promise<DemoCheckResultDto> {
    const { app, actor } = await this.demoApp(ip);
    const verification = await this.find(app, handle);
    const result = await this.verifications.check(app, verification.id, code, actor);
    return {
      valid: result.valid,
      verification: this.view((await this.repository.findForApp(app.id, verification.id))!),
    };
  }

  async resend(handle: string, ip: string | null): Promise<DemoVerificationDto> {
    const { app, actor } = await this.demoApp(ip);
    const verification = await this.find(app, handle);
    await this.verifications.resend(app, verification.id, undefined, actor);
    return this.view((await this.repository.findForApp(app.id, verification.id))!);
  }

  /** What the sandbox sent to the verification's phone since it was created, oldest first. */
  async messages(handle: string, ip: string | null): Promise<DemoMessageDto[]> {
    const { app } = await this.demoApp(ip);
    this.assertSandbox();
    const verification = await this.find(app, handle);
    if (!verification.phone) return [];
    return this.sentSince(app.id, verification.phone, verification.createdAt);
  }

  /**
   * The simulated person sends `text` (default: the prefilled message) from `from`, through the
   * sandbox inbound pipeline; answers with what the sandbox replied to that number.
   */
  async inbound(
    handle: string,
    dto: DemoInboundDto,
    ip: string | null,
  ): Promise<DemoInboundResultDto> {
    const { app } = await this.demoApp(ip);
    this.assertSandbox();
    const verification = await this.find(app, handle);
    if (verification.flow !== Flow.INBOUND)
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'Only an inbound verification waits for a message',
      );
    const text = dto.text ?? (await this.inboundLinks.linkFor(app, verification)).waMessage;
    const since = this.clock.now();
    await this.sandboxInbound.receive(app.id, { from: dto.from, text }, ip);
    // receive() has validated `from` and processed the message: its replies are stored.
    const replies = await this.sentSince(app.id, dto.from, since);
    return { accepted: true, replies };
  }

  private async sentSince(appId: string, phone: string, since: number): Promise<DemoMessageDto[]> {
    const messages = await this.sandboxMessages.listFor(appId, phone, 50);
    return messages
      .filter((message) => message.createdAt >= since)
      .reverse()
      .map(messageView);
  }

  private assertSandbox(): void {
    if (!this.sandboxMessages.isAvailable())
      throw new DomainException(ErrorCode.NOT_FOUND, 'The phone simulator needs the sandbox');
  }

  /** The development app and the actor the demo acts as (its API key, the visitor's IP). */
  private async demoApp(ip: string | null): Promise<DemoApp> {
    if (!this.config.demoEnabled) throw notFound('Demo');
    const key = this.config.developmentAppApiKey;
    const found = key ? await this.apiKeys.authenticate(key) : null;
    if (!found)
      throw new DomainException(
        ErrorCode.NOT_FOUND,
        'The demo runs against the development app, which does not exist here (CREATE_DEFAULT_APP; never in production)',
      );
    return { app: found.app, actor: { type: 'api_key', id: found.apiKeyId, ip } };
  }

  private async find(app: App, handle: string): Promise<Verification> {
    const id = this.idFromHandle(handle);
    const verification = id ? await this.repository.findForApp(app.id, id) : null;
    if (!verification) throw notFound('Verification');
    return verification;
  }

  handleFor(id: string): string {
    return `${id}.${this.signature(id)}`;
  }

  /** The id a handle names when its signature is right (compared in constant time), else null. */
  private idFromHandle(handle: string): string | null {
    const dot = handle.indexOf('.');
    if (dot < 1 || dot > 36) return null;
    const id = handle.slice(0, dot);
    const given = Buffer.from(handle.slice(dot + 1));
    const expected = Buffer.from(this.signature(id));
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
  }

  private signature(id: string): string {
    return createHmac('sha256', this.config.otpPepper)
      .update(`demo-handle:${id}`)
      .digest('base64url');
  }

  private view(v: Verification, link?: InboundLink | null): DemoVerificationDto {
    // Past its expiry a verification can no longer be used, even before the sweeper marks it.
    const status =
      v.status === VerificationStatus.PENDING && v.expiresAt <= this.clock.now()
        ? VerificationStatus.EXPIRED
        : v.status;
    const view: DemoVerificationDto = {
      handle: this.handleFor(v.id),
      flow: v.flow,
      status,
      phone: v.phone,
      channel: v.channel,
      attemptsRemaining: Math.max(0, v.maxAttempts - v.attempts),
      sendsRemaining: Math.max(0, v.maxSends - v.sends),
      expiresAt: iso(v.expiresAt)!,
      resendAvailableAt:
        v.lastSentAt !== null && status === VerificationStatus.PENDING
          ? iso(v.lastSentAt + RESEND_COOLDOWN_MS)
          : null,
      approvedAt: iso(v.approvedAt),
    };
    if (link) Object.assign(view, link);
    return view;
  }
}

function messageView(message: SandboxMessage): DemoMessageDto {
  return {
    id: message.id,
    channel: message.channel as Channel,
    to: message.to,
    text: message.text,
    sentAt: iso(message.createdAt)!,
  };
}
