import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import '../shared/base.css';
import './console.css';
import { apiFor, type Role, roleOf } from './api';
import { AppsPage } from './pages/apps';
import { AuditPage } from './pages/audit';
import { BlocksPage } from './pages/blocks';
import { ConversionPage } from './pages/conversion';
import { DeliveriesPage } from './pages/deliveries';
import { VerificationsPage } from './pages/verifications';
import { clearSession, loadSession, saveSession, type Session } from './session';
import { ErrorText, messageOf } from './ui';

type PageId = 'verifications' | 'deliveries' | 'audit' | 'conversion' | 'blocks' | 'apps';

/** The pages each kind of key can use (the API refuses the others anyway). */
const PAGES: { id: PageId; title: string; roles: Role[] }[] = [
  { id: 'verifications', title: 'Verifications', roles: ['app'] },
  { id: 'deliveries', title: 'Webhook deliveries', roles: ['app'] },
  { id: 'audit', title: 'Audit events', roles: ['app', 'admin'] },
  { id: 'conversion', title: 'Conversion', roles: ['app', 'admin'] },
  { id: 'blocks', title: 'Country blocks', roles: ['admin'] },
  { id: 'apps', title: 'Apps and keys', roles: ['admin'] },
];

function pageFromHash(role: Role): PageId {
  const wanted = window.location.hash.replace(/^#\/?/, '');
  const allowed = PAGES.filter((p) => p.roles.includes(role));
  return (allowed.find((p) => p.id === wanted) ?? allowed[0]).id;
}

function Console() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = (why: string | null) => {
    clearSession();
    window.location.hash = '';
    setNotice(why);
    setSession(null);
  };
  if (!session)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          saveSession(s);
          setNotice(null);
          setSession(s);
        }}
      />
    );
  return (
    <Signed
      session={session}
      onSignOut={() => signOut(null)}
      onRefused={() => signOut('The API no longer accepts this key (revoked?): sign in again.')}
    />
  );
}

function SignIn(props: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter the admin key or an app API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const role = await roleOf(trimmed);
      if (role) props.onSignedIn({ key: trimmed, role });
      else setError('This key is not valid: the API refused it.');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>wa-verify console</h1>
      <form class="card" onSubmit={submit} aria-describedby="signin-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
        />
        <p id="signin-help" class="muted">
          The admin key or an app key. It stays in this browser tab only and is sent to this
          service's API; closing the tab or signing out forgets it.
        </p>
        <ErrorText error={error ?? props.notice} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function Signed(props: { session: Session; onSignOut: () => void; onRefused: () => void }) {
  const { session, onSignOut } = props;
  const refused = useRef(props.onRefused);
  refused.current = props.onRefused;
  const api = useMemo(() => apiFor(session.key, () => refused.current()), [session.key]);
  const [page, setPage] = useState<PageId>(() => pageFromHash(session.role));
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    const follow = () => setPage(pageFromHash(session.role));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [session.role]);
  const title = PAGES.find((p) => p.id === page)!.title;
  useEffect(() => {
    document.title = `${title} · wa-verify console`;
  }, [title]);
  const go = (id: PageId) => {
    window.location.hash = `/${id}`;
    // Keyboard and screen-reader users land on the new page's content.
    main.current?.focus();
  };
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // The hash names the page shown; moving focus must not change it.
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <h1>wa-verify console</h1>
        <span class="who">{session.role === 'admin' ? 'Admin key' : 'App key'}</span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console pages">
        <ul>
          {PAGES.filter((p) => p.roles.includes(session.role)).map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                aria-current={p.id === page ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  go(p.id);
                }}
              >
                {p.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {page === 'verifications' && <VerificationsPage api={api} />}
        {page === 'deliveries' && <DeliveriesPage api={api} />}
        {page === 'audit' && <AuditPage api={api} role={session.role} />}
        {page === 'conversion' && <ConversionPage api={api} role={session.role} />}
        {page === 'blocks' && <BlocksPage api={api} />}
        {page === 'apps' && <AppsPage api={api} />}
      </main>
    </>
  );
}

render(<Console />, document.getElementById('root')!);
