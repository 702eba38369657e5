/** Which language the demo page speaks: the visitor's choice, else the browser's. */
import type { Lang } from './strings';

export * from './strings';

const LANG_KEY = 'wa-verify-demo-lang';

/** The visitor's last choice, else the browser's language (Indonesian for `id*`, else English). */
export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'id') return saved;
  } catch {
    // Storage can be off (private mode): fall back to the browser's language.
  }
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language];
  return wanted.some((lang) => lang?.toLowerCase().startsWith('id')) ? 'id' : 'en';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not remembered; the switch still works for this visit.
  }
}
