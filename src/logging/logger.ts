import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import { maskPhone } from '../common/phone-mask';
import type { LogFormat, LogLevelName } from '../config/app-config';
import { currentRequestId } from './request-context';

export type { Logger } from 'pino';

/** Keys whose value never reaches a log line, at the top level and one level down (`*.apiKey`). */
const SECRET_KEYS = [
  'authorization',
  'apiKey',
  'adminApiKey',
  'code',
  'token',
  'inboundToken',
  'secret',
  'webhookSecret',
  'password',
  'accessToken',
  'authToken',
  'appSecret',
  'verifyToken',
  'otpPepper',
  'pepper',
];
/** Keys that hold phone numbers: masked (`+62812****5678`), not removed, so a line stays useful. */
const PHONE_KEYS = ['phone', 'phoneNumber', 'to', 'from', 'sender', 'recipient'];
const HEADER_PATHS = ['authorization', 'cookie', '"x-twilio-signature"', '"x-hub-signature-256"'];

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
  ...HEADER_PATHS.flatMap((header) => [
    `req.headers.${header}`,
    `headers.${header}`,
    `*.headers.${header}`,
  ]),
  ...PHONE_KEYS.flatMap((key) => [key, `*.${key}`]),
];

const PHONE_KEY_SET = new Set(PHONE_KEYS);
const PHONE_LIKE = /^(?:whatsapp:)?\+?\d{7,15}$/;
/** An E.164 number inside free text (a message written by our code or a library). */
const PHONE_IN_TEXT = /\+\d{7,15}\b/g;

function censor(value: unknown, path: string[]): unknown {
  if (!PHONE_KEY_SET.has(path[path.length - 1])) return '[Redacted]';
  // `from`/`to` are also date bounds elsewhere: only phone-looking values are masked.
  if (typeof value !== 'string' || !PHONE_LIKE.test(value)) return value;
  const prefix = value.startsWith('whatsapp:') ? 'whatsapp:' : '';
  const digits = value.slice(prefix.length);
  return `${prefix}${maskPhone(digits.startsWith('+') ? digits : `+${digits}`)}`;
}

/** Masks every E.164 number in a message string (`+6281234567890` → `+62812*****7890`). */
export function maskPhonesInText(text: string): string {
  return text.includes('+') ? text.replace(PHONE_IN_TEXT, (phone) => maskPhone(phone)!) : text;
}

/** Set on the per-request child loggers Fastify makes: their bindings already carry `reqId`. */
const BINDS_REQ_ID = Symbol('wa-verify.bindsReqId');

export function markBindsReqId(logger: Logger): Logger {
  (logger as unknown as Record<symbol, boolean>)[BINDS_REQ_ID] = true;
  return logger;
}

export interface LoggerSettings {
  logLevel: LogLevelName | 'silent';
  logFormat: LogFormat;
}

/**
 * The service's one pino logger: Fastify logs through it and Nest's Logger writes to it (see
 * {@link PinoNestLogger}). JSON lines on stdout (`LOG_FORMAT=json`) or pino-pretty (`pretty`).
 * Every line written while serving a request carries its `reqId`; secrets are redacted by key and
 * phone numbers masked, by key and inside messages. Request bodies are never logged.
 */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.logLevel,
    redact: { paths: REDACT_PATHS, censor },
    serializers: { err: pino.stdSerializers.err },
    mixin: (_object, _level, logger) => {
      if ((logger as unknown as Record<symbol, boolean | undefined>)[BINDS_REQ_ID]) return {};
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? maskPhonesInText(arg) : arg)) as Parameters<
            typeof method
          >,
        );
      },
    },
  };
  if (settings.logFormat === 'json') {
    options.formatters = { level: (label) => ({ level: label }) };
    return pino(options, destination ?? pino.destination({ fd: 1, sync: true }));
  }
  // pino-pretty as a stream in this thread (no worker): lines appear in order with the banner.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(
    options,
    pretty.build({
      destination: destination ?? 1,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
      singleLine: true,
    }),
  );
}
