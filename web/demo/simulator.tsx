import { useEffect, useRef, useState } from 'preact/hooks';
import { DemoMessage, DemoVerification } from './api';
import { Strings } from './i18n';

/** A message the simulated person sent (shown on the right, as WhatsApp does). */
export interface SentByYou {
  id: string;
  text: string;
  sentAt: string;
}

interface Props {
  t: Strings;
  v: DemoVerification | null;
  link: { waMessage: string } | null;
  messages: DemoMessage[];
  sent: SentByYou[];
  from: string;
  setFrom: (phone: string) => void;
  busy: boolean;
  onSend: (from: string, text: string) => void;
}

type Bubble =
  { kind: 'in'; message: DemoMessage; code: string | null } | { kind: 'out'; message: SentByYou };

/** The code in an OTP message (the template's body starts with it). */
function codeIn(text: string): string | null {
  return /\b(\d{4,10})\b/.exec(text)?.[1] ?? null;
}

function time(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Sandbox only: a phone-shaped panel with what the sandbox sent to the verification's number
 * (the OTP template with its copy-code button, the confirmation reply) and, for the inbound flow,
 * a box to send the prefilled message from a chosen number.
 */
export function PhoneSimulator({ t, v, link, messages, sent, from, setFrom, busy, onSend }: Props) {
  const s = t.simulator;
  const [text, setText] = useState('');
  const [copied, setCopied] = useState<string | null>(null);
  const thread = useRef<HTMLOListElement>(null);

  useEffect(() => setText(link?.waMessage ?? ''), [link?.waMessage]);
  useEffect(() => {
    const el = thread.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length, sent.length]);

  const inboundPending = v?.flow === 'inbound' && v.status === 'pending';
  const number = !v ? null : v.flow === 'outbound' ? v.phone : (v.phone ?? from);
  const bubbles: Bubble[] = [
    ...messages.map((message): Bubble => ({
      kind: 'in',
      message,
      code: v?.flow === 'outbound' ? codeIn(message.text) : null,
    })),
    ...sent.map((message): Bubble => ({ kind: 'out', message })),
  ].sort((a, b) => a.message.sentAt.localeCompare(b.message.sentAt));

  const copy = async (id: string, code: string) => {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      // No clipboard API (e.g. plain http on another host): copy through a selected field.
      const field = document.createElement('textarea');
      field.value = code;
      document.body.append(field);
      field.select();
      document.execCommand('copy');
      field.remove();
    }
    setCopied(id);
  };

  return (
    <aside class="simulator" aria-labelledby="sim-title">
      <h2 id="sim-title">{s.heading}</h2>
      <p class="muted">{s.help}</p>
      <div class="phone">
        <div class="phone-bar">
          <span class="avatar" aria-hidden="true">
            W
          </span>
          <span>
            <strong>{s.business}</strong>
            {number && <span class="phone-number">{number}</span>}
          </span>
        </div>
        <ol class="thread" ref={thread} aria-label={s.heading} aria-live="polite">
          {bubbles.length === 0 && <li class="empty">{v ? s.empty : s.waitingForCode}</li>}
          {bubbles.map((bubble) =>
            bubble.kind === 'out' ? (
              <li key={bubble.message.id} class="bubble out">
                <span class="sr-only">{s.you}: </span>
                <p>{bubble.message.text}</p>
                <time>{time(bubble.message.sentAt)}</time>
              </li>
            ) : (
              <li
                key={bubble.message.id}
                class={`bubble in${bubble.code ? ' otp' : ''}`}
                data-code={bubble.code ?? undefined}
              >
                {bubble.code && <p class="otp-title">{s.otpTitle}</p>}
                <p>{bubble.message.text}</p>
                <time>{time(bubble.message.sentAt)}</time>
                {bubble.code && (
                  <button
                    type="button"
                    class="copy"
                    onClick={() => void copy(bubble.message.id, bubble.code!)}
                  >
                    {copied === bubble.message.id ? s.copied : s.copyCode}
                  </button>
                )}
              </li>
            ),
          )}
        </ol>
        {inboundPending && (
          <form
            class="composer"
            onSubmit={(e) => {
              e.preventDefault();
              onSend(from.trim(), text);
            }}
          >
            <label for="sim-from">{s.fromLabel}</label>
            <input
              id="sim-from"
              type="tel"
              value={from}
              onInput={(e) => setFrom((e.currentTarget as HTMLInputElement).value)}
            />
            <label for="sim-text">{s.messageLabel}</label>
            <textarea
              id="sim-text"
              rows={3}
              value={text}
              onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
            />
            <button type="submit" class="primary" disabled={busy || text.trim() === ''}>
              {s.send}
            </button>
          </form>
        )}
      </div>
    </aside>
  );
}
