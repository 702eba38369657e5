/**
 * A mobile app's backend that signs people up with their WhatsApp number (Fastify), as shown in
 * the README. The app talks only to this backend; the wa-verify API key stays on the server.
 *
 *   POST /signup/phone  { phone, method? }  → 201 { signupId, expiresAt, waLink?, qrCode? }
 *   POST /signup/verify { signupId, code? } → 200 { verified: true, userId, sessionToken }
 *                                             or { verified: false, status, attemptsRemaining? }
 *   POST /webhooks/wa-verify                 (wa-verify → backend, signed)
 *
 * `method: "code"` sends a code by WhatsApp that the person types into the app; `method:
 * "whatsapp"` (the default, lower ban risk) gives the app a wa.me link: the person sends the
 * prefilled message from WhatsApp, and the app then calls /signup/verify without a code (when it
 * comes back to the foreground, or after a push sent from the webhook handler).
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  unwrap,
  verifyWebhook,
  WaVerifyError,
  WebhookVerificationError,
  type Verification,
  type WaVerifyClient,
} from '@wa-verify/client';

/** What the backend keeps per sign-up (a table in a real backend). */
interface Signup {
  verificationId: string;
  /** Set once wa-verify approved the number. */
  verifiedPhone: string | null;
}

export function buildSignupBackend(
  waVerify: WaVerifyClient,
  webhookSecret: string,
): FastifyInstance {
  const app = Fastify();
  const signups = new Map<string, Signup>();

  app.post<{ Body: { phone?: string; method?: 'code' | 'whatsapp' } }>(
    '/signup/phone',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            phone: { type: 'string', maxLength: 32 },
            method: { enum: ['code', 'whatsapp'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { phone, method = 'whatsapp' } = request.body;
      if (method === 'code' && phone === undefined)
        return reply.code(400).send({ error: 'phone_required' });
      const signupId = randomUUID();
      try {
        const verification = await unwrap(
          waVerify.POST('/v1/verifications', {
            // A retry of the same sign-up never sends a second message.
            params: { header: { 'Idempotency-Key': signupId } },
            body: {
              flow: method === 'code' ? 'outbound' : 'inbound',
              ...(phone === undefined ? {} : { phone }),
              metadata: { signupId },
            },
          }),
        );
        // Keep the verification id on the server: the app only ever sees its own signupId.
        signups.set(signupId, { verificationId: verification.id, verifiedPhone: null });
        return reply.code(201).send({
          signupId,
          expiresAt: verification.expiresAt,
          // Inbound: the app opens waLink (or shows qrCode on a desktop).
          ...(verification.waLink === undefined ? {} : { waLink: verification.waLink }),
          ...(verification.qrCode === undefined ? {} : { qrCode: verification.qrCode }),
        });
      } catch (error) {
        return sendApiError(reply, error);
      }
    },
  );

  app.post<{ Body: { signupId: string; code?: string } }>(
    '/signup/verify',
    {
      schema: {
        body: {
          type: 'object',
          required: ['signupId'],
          properties: {
            signupId: { type: 'string', maxLength: 64 },
            code: { type: 'string', pattern: '^[0-9]{4,10}$' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const signup = signups.get(request.body.signupId);
      if (!signup) return reply.code(404).send({ error: 'unknown_signup' });
      const id = signup.verificationId;
      try {
        const { code } = request.body;
        if (code !== undefined) {
          const result = await unwrap(
            waVerify.POST('/v1/verifications/{id}/check', {
              params: { path: { id } },
              body: { code },
            }),
          );
          if (!result.valid)
            return reply.send({
              verified: false,
              status: result.status,
              attemptsRemaining: result.attemptsRemaining ?? 0,
            });
        }
        // Approved by the check above, by the person's WhatsApp message, or not yet.
        const verification = await unwrap(
          waVerify.GET('/v1/verifications/{id}', { params: { path: { id } } }),
        );
        if (verification.status !== 'approved')
          return reply.send({ verified: false, status: verification.status });
        return reply.send(completeSignup(signup, verification));
      } catch (error) {
        return sendApiError(reply, error);
      }
    },
  );

  // Client webhooks are verified on the raw bytes, so this route keeps its JSON body as a Buffer.
  void app.register(async (hooks) => {
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    hooks.post<{ Body: Buffer }>('/webhooks/wa-verify', async (request, reply) => {
      let event;
      try {
        event = verifyWebhook(webhookSecret, request.body, request.headers);
      } catch (error) {
        if (error instanceof WebhookVerificationError) return reply.code(401).send();
        throw error;
      }
      // Delivery is at least once: handle an event twice without harm (here: an idempotent update).
      const signupId = event.data.metadata['signupId'];
      const signup = typeof signupId === 'string' ? signups.get(signupId) : undefined;
      if (signup && event.type === 'verification.approved' && event.data.phone !== null)
        signup.verifiedPhone = event.data.phone; // e.g. push "you're verified" to the app here
      return reply.code(204).send();
    });
  });

  return app;
}

/** The number is proved: create or find the account for it, and give the app its session. */
function completeSignup(signup: Signup, verification: Verification) {
  // For an inbound verification started without a phone, `phone` is the number that wrote in.
  signup.verifiedPhone = verification.phone;
  return {
    verified: true,
    userId: `user_${verification.id}`,
    phone: verification.phone,
    sessionToken: randomBytes(32).toString('base64url'),
  };
}

/** wa-verify's error codes, turned into answers the app can act on (never a 500 for them). */
function sendApiError(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof WaVerifyError)) throw error;
  switch (error.code) {
    case 'invalid_phone':
    case 'validation_failed':
      return reply.code(400).send({ error: error.code });
    case 'country_not_allowed':
      return reply.code(403).send({ error: error.code });
    case 'verification_not_pending': // expired, canceled or out of attempts: start again
      return reply.code(409).send({ error: error.code, status: error.body?.status });
    case 'rate_limited':
    case 'resend_too_soon':
    case 'max_sends_reached':
      return reply
        .code(429)
        .header('Retry-After', String(error.retryAfterSeconds ?? 60))
        .send({ error: error.code });
    default:
      throw error;
  }
}
