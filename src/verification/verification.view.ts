import { iso } from '../common/columns';
import { VerificationResponseDto } from './dto/verification-response.dto';
import { Verification } from './entities/verification.entity';

/** Inbound extras that can only be shown while the token is known. */
export interface InboundLink {
  waLink: string;
  waMessage: string;
  qrCode: string;
}

/** The public verification object (API responses and client webhook `data`). Never contains the code or token hash. */
export function toVerificationView(
  v: Verification,
  link?: InboundLink | null,
): VerificationResponseDto {
  const view: VerificationResponseDto = {
    id: v.id,
    appId: v.appId,
    flow: v.flow,
    phone: v.phone,
    channel: v.channel,
    workflow:
      v.workflow?.map((step) => ({
        channel: step.channel,
        timeoutSeconds: step.timeoutSeconds ?? null,
      })) ?? null,
    status: v.status,
    attemptsRemaining: Math.max(0, v.maxAttempts - v.attempts),
    sendsRemaining: Math.max(0, v.maxSends - v.sends),
    expiresAt: iso(v.expiresAt)!,
    createdAt: iso(v.createdAt)!,
    approvedAt: iso(v.approvedAt),
    metadata: v.metadata ?? {},
    waUserId: v.waUserId,
    delivery:
      v.deliveryChannel && v.deliveryStatus
        ? {
            channel: v.deliveryChannel,
            status: v.deliveryStatus,
            messageId: v.deliveryMessageId,
            errorCode: v.deliveryErrorCode ?? null,
          }
        : null,
  };
  if (link) Object.assign(view, link);
  return view;
}
