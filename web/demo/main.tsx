import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import '../shared/base.css';
import './demo.css';
import { ApiError, DemoConfig, DemoMessage, DemoVerification, demoApi } from './api';
import { errorMessage, initialLang, Lang, saveLang, STRINGS, Strings } from './i18n';
import { PhoneSimulator, SentByYou } from './simulator';

const POLL_MS = 2000;

interface ShownError {
  code: string;
  retryAfterSeconds: number | null;
}

type InboundLink = Required<Pick<DemoVerification, 'waLink' | 'waMessage' | 'qrCode'>>;

/** A phone opens the wa.me link itself; a desktop shows the QR code to scan with one. */
function onPhone(): boolean {
  return window.matchMedia('(pointer: coarse) and (max-width: 820px)').matches;
}

/** A random Indonesian mobile number for the simulated person, so visitors do not share one. */
function randomPhone(): string {
  const digits = Array.from({ length: 8 }, () => Math.floor(Math.random() * 10)).join('');
  return `+62812${digits}`;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function secondsUntil(iso: string | null, now: number): number {
  return iso ? Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000)) : 0;
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

function toShown(error: unknown): ShownError {
  if (error instanceof ApiError)
    return { code: error.code, retryAfterSeconds: error.retryAfterSeconds };
  return { code: 'internal_error', retryAfterSeconds: null };
}

function Demo() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = STRINGS[lang];
  const [config, setConfig] = useState<DemoConfig | null>(null);
  const [unavailable, setUnavailable] = useState<ShownError | null>(null);
  const [v, setV] = useState<DemoVerification | null>(null);
  const [link, setLink] = useState<InboundLink | null>(null);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [messages, setMessages] = useState<DemoMessage[]>([]);
  const [sent, setSent] = useState<SentByYou[]>([]);
  const [simFrom, setSimFrom] = useState(randomPhone);
  const now = useNow();
  const codeInput = useRef<HTMLInputElement>(null);
  const outcome = useRef<HTMLHeadingElement>(null);

  // In the same commit as the words themselves, so the page never shows one language under another's lang.
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${t.title} — wa-verify demo`;
  }, [lang, t]);

  useEffect(() => {
    demoApi
      .config()
      .then(setConfig)
      .catch((e: unknown) => {
        const shown = toShown(e);
        setUnavailable(shown.code === 'not_found' ? { ...shown, code: 'demo_unavailable' } : shown);
      });
  }, []);

  const handle = v?.handle ?? null;
  const pending = v?.status === 'pending';

  // Live status without reloading: poll the verification (and the simulator) while it is pending.
  useEffect(() => {
    if (!handle || !pending) return;
    let stopped = false;
    const tick = async () => {
      try {
        const fresh = await demoApi.get(handle);
        if (!stopped) setV(fresh);
        if (config?.sandbox) {
          const list = await demoApi.messages(handle);
          if (!stopped) setMessages((old) => mergeMessages(old, list));
        }
      } catch {
        // A missed poll is retried on the next tick.
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [handle, pending, config?.sandbox]);

  useEffect(() => {
    if (v?.flow === 'outbound' && pending) codeInput.current?.focus();
    if (v && !pending) outcome.current?.focus();
  }, [v?.handle, v?.flow, pending]);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (e) {
      const shown = toShown(e);
      setError(shown);
      if (e instanceof ApiError && e.code === 'verification_not_pending' && handle)
        await demoApi.get(handle).then(setV, () => undefined);
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    setV(null);
    setLink(null);
    setCode('');
    setError(null);
    setNotice(null);
    setMessages([]);
    setSent([]);
  };

  const startInbound = () =>
    run(async () => {
      const created = await demoApi.create('inbound', lang);
      reset();
      setV(created);
      if (created.waLink && created.waMessage && created.qrCode)
        setLink({ waLink: created.waLink, waMessage: created.waMessage, qrCode: created.qrCode });
    });

  const startOutbound = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const created = await demoApi.create('outbound', lang, phone.trim());
      reset();
      setV(created);
    });
  };

  const check = (event: Event) => {
    event.preventDefault();
    if (!handle) return;
    return run(async () => {
      const result = await demoApi.check(handle, code.trim());
      setV(result.verification);
      if (!result.valid && result.verification.status === 'pending') {
        setNotice(t.wrongCode(result.verification.attemptsRemaining));
        setCode('');
        codeInput.current?.focus();
      }
    });
  };

  const resend = () =>
    handle &&
    run(async () => {
      setV(await demoApi.resend(handle));
      setNotice(t.codeResent);
    });

  const sendFromSimulator = (from: string, text: string) =>
    handle &&
    run(async () => {
      const result = await demoApi.sendInbound(handle, from, text);
      setSent((old) => [
        ...old,
        { id: `you-${old.length}`, text, sentAt: new Date().toISOString() },
      ]);
      setMessages((old) => mergeMessages(old, result.replies));
      setV(await demoApi.get(handle));
    });

  return (
    <div class="page">
      <header class="top">
        <span class="brand">wa-verify</span>
        <label class="lang">
          <span>{t.language}</span>
          <select
            value={lang}
            onChange={(e) => {
              const next = (e.currentTarget as HTMLSelectElement).value as Lang;
              setLang(next);
              saveLang(next);
            }}
          >
            <option value="en">English</option>
            <option value="id">Bahasa Indonesia</option>
          </select>
        </label>
      </header>
      <main class="layout">
        <section class="card" aria-labelledby="demo-title">
          <h1 id="demo-title">{t.title}</h1>
          <p class="muted">{t.intro}</p>
          {config?.sandbox && <p class="note">{t.sandboxNote}</p>}
          {unavailable ? (
            <p class="error" role="alert">
              {errorMessage(t, unavailable.code)}
            </p>
          ) : (
            <Flow
              t={t}
              v={v}
              link={link}
              now={now}
              busy={busy || !config}
              phone={phone}
              setPhone={setPhone}
              code={code}
              setCode={setCode}
              codeInput={codeInput}
              outcome={outcome}
              error={error}
              notice={notice}
              onInbound={startInbound}
              onOutbound={startOutbound}
              onCheck={check}
              onResend={resend}
              onReset={reset}
            />
          )}
        </section>
        {config?.sandbox && (
          <PhoneSimulator
            t={t}
            v={v}
            link={link}
            messages={messages}
            sent={sent}
            from={simFrom}
            setFrom={setSimFrom}
            busy={busy}
            onSend={sendFromSimulator}
          />
        )}
      </main>
    </div>
  );
}

function mergeMessages(old: DemoMessage[], more: DemoMessage[]): DemoMessage[] {
  const known = new Set(old.map((m) => m.id));
  const added = more.filter((m) => !known.has(m.id));
  return added.length ? [...old, ...added] : old;
}

interface FlowProps {
  t: Strings;
  v: DemoVerification | null;
  link: InboundLink | null;
  now: number;
  busy: boolean;
  phone: string;
  setPhone: (phone: string) => void;
  code: string;
  setCode: (code: string) => void;
  codeInput: { current: HTMLInputElement | null };
  outcome: { current: HTMLHeadingElement | null };
  error: ShownError | null;
  notice: string | null;
  onInbound: () => void;
  onOutbound: (event: Event) => void;
  onCheck: (event: Event) => void;
  onResend: () => void;
  onReset: () => void;
}

const PHONE_ERRORS = ['invalid_phone', 'validation_failed', 'country_not_allowed', 'forbidden'];

function ErrorLine({ t, error, id }: { t: Strings; error: ShownError | null; id: string }) {
  return (
    <p id={id} class="error" role="alert" hidden={!error}>
      {error && errorMessage(t, error.code)}
      {error?.retryAfterSeconds ? ` ${t.retryIn(error.retryAfterSeconds)}` : ''}
    </p>
  );
}

function Flow(p: FlowProps) {
  const { t, v, now } = p;
  if (!v) {
    // Errors about the number go under its field; the others (limits, network…) above both ways.
    const phoneError = p.error && PHONE_ERRORS.includes(p.error.code) ? p.error : null;
    const otherError = p.error && !phoneError ? p.error : null;
    return (
      <div class="steps">
        <ErrorLine t={t} error={otherError} id="start-error" />
        <section class="step" aria-labelledby="inbound-title">
          <h2 id="inbound-title">{t.inboundHeading}</h2>
          <p class="muted">{t.inboundHelp}</p>
          <button type="button" class="primary wa" onClick={p.onInbound} disabled={p.busy}>
            <WhatsAppGlyph />
            {t.verifyWithWhatsApp}
          </button>
        </section>
        <form class="step" onSubmit={p.onOutbound} aria-labelledby="outbound-title" noValidate>
          <h2 id="outbound-title">{t.orCode}</h2>
          <label for="phone">{t.phoneLabel}</label>
          <input
            id="phone"
            type="tel"
            autocomplete="tel"
            inputMode="tel"
            value={p.phone}
            onInput={(e) => p.setPhone((e.currentTarget as HTMLInputElement).value)}
            aria-describedby="phone-hint phone-error"
            aria-invalid={phoneError ? 'true' : undefined}
            required
          />
          <p id="phone-hint" class="hint">
            {t.phoneHint}
          </p>
          <ErrorLine t={t} error={phoneError} id="phone-error" />
          <button type="submit" class="secondary" disabled={p.busy}>
            {p.busy ? t.working : t.sendCode}
          </button>
        </form>
      </div>
    );
  }

  if (v.status !== 'pending') {
    const approved = v.status === 'approved';
    return (
      <div class={`outcome ${approved ? 'ok' : 'bad'}`} aria-live="polite">
        <h2 ref={p.outcome} tabIndex={-1}>
          {approved ? (
            <>
              <span aria-hidden="true">✓ </span>
              {t.verifiedAs(v.phone ?? '')}
            </>
          ) : (
            t.final[v.status]
          )}
        </h2>
        {approved && <p>{t.final.approved}</p>}
        <ErrorLine t={t} error={p.error} id="final-error" />
        <button type="button" class="secondary" onClick={p.onReset}>
          {t.startOver}
        </button>
      </div>
    );
  }

  const expiresIn = secondsUntil(v.expiresAt, now);
  const expiry = <p class="meta">{t.expiresIn(clock(expiresIn))}</p>;

  if (v.flow === 'inbound') {
    const phone = onPhone();
    return (
      <div class="step">
        {p.link && phone && (
          <a class="primary wa button-link" href={p.link.waLink} target="_blank" rel="noopener">
            <WhatsAppGlyph />
            {t.openWhatsApp}
          </a>
        )}
        {p.link && !phone && (
          <div class="qr">
            <img src={p.link.qrCode} alt={t.qrAlt} width={220} height={220} />
            <p>{t.scanQr}</p>
            <a href={p.link.waLink} target="_blank" rel="noopener">
              {t.openWhatsAppDesktop}
            </a>
          </div>
        )}
        <p class="waiting" role="status">
          <span class="spinner" aria-hidden="true" />
          {t.waitingForMessage}
        </p>
        {expiry}
        <ErrorLine t={t} error={p.error} id="inbound-error" />
        <button type="button" class="link" onClick={p.onReset}>
          {t.useAnotherWay}
        </button>
      </div>
    );
  }

  const cooldown = secondsUntil(v.resendAvailableAt, now);
  return (
    <form class="step" onSubmit={p.onCheck} noValidate>
      <p>{t.codeSentTo(v.phone ?? '')}</p>
      <label for="code">{t.codeLabel}</label>
      <input
        id="code"
        ref={p.codeInput}
        class="code"
        type="text"
        inputMode="numeric"
        autocomplete="one-time-code"
        maxLength={10}
        value={p.code}
        onInput={(e) => p.setCode((e.currentTarget as HTMLInputElement).value)}
        aria-describedby="code-meta code-error code-notice"
        aria-invalid={p.error ? 'true' : undefined}
        required
      />
      <p id="code-meta" class="meta">
        {t.attemptsLeft(v.attemptsRemaining)} · {t.expiresIn(clock(expiresIn))}
      </p>
      <p id="code-notice" class="notice" role="status">
        {p.notice ?? ''}
      </p>
      <ErrorLine t={t} error={p.error} id="code-error" />
      <div class="row">
        <button type="submit" class="primary" disabled={p.busy || p.code.trim() === ''}>
          {p.busy ? t.working : t.verify}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={p.onResend}
          disabled={p.busy || cooldown > 0 || v.sendsRemaining === 0}
        >
          {v.sendsRemaining === 0 ? t.noSendsLeft : cooldown > 0 ? t.resendIn(cooldown) : t.resend}
        </button>
      </div>
      <button type="button" class="link" onClick={p.onReset}>
        {t.useAnotherWay}
      </button>
    </form>
  );
}

function WhatsAppGlyph() {
  return (
    <svg class="glyph" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path
        fill="currentColor"
        d="M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2Zm0 18.2a8.2 8.2 0 0 1-4.2-1.1l-.3-.2-3 .8.8-2.9-.2-.3A8.2 8.2 0 1 1 12 20.2Zm4.5-6.1c-.2-.1-1.5-.7-1.7-.8-.2-.1-.4-.1-.6.1l-.8 1c-.1.2-.3.2-.5.1a6.7 6.7 0 0 1-3.3-2.9c-.3-.4.3-.4.7-1.3.1-.2 0-.3 0-.4l-.8-1.8c-.2-.5-.4-.4-.6-.4h-.5a1 1 0 0 0-.7.3 3 3 0 0 0-.9 2.2 5.2 5.2 0 0 0 1.1 2.8 11.9 11.9 0 0 0 4.6 4c1.7.7 2.4.8 3.2.7a2.8 2.8 0 0 0 1.8-1.3 2.3 2.3 0 0 0 .2-1.3c-.1-.1-.2-.2-.5-.3Z"
      />
    </svg>
  );
}

render(<Demo />, document.getElementById('root')!);
