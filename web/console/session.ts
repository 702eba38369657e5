import type { Role } from './api';

/**
 * The key lives in this tab's sessionStorage only: it is gone when the tab closes, and other tabs
 * and origins never see it. Sign-out removes it.
 */
const STORAGE_KEY = 'wa-verify.console';

export interface Session {
  key: string;
  role: Role;
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.key !== 'string' || (parsed.role !== 'admin' && parsed.role !== 'app'))
      return null;
    return { key: parsed.key, role: parsed.role };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
