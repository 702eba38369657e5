import { en } from './en';
import { id } from './id';
import { MessageCatalog, MessageKey, MessageVars, TemplateVars } from './message.types';

export type { MessageCatalog, MessageKey, MessageVars } from './message.types';

/** Every language we can write. To add one: a new file like `en.ts`, then one line here. */
const CATALOGS = { en, id } satisfies Record<string, MessageCatalog>;

export type SupportedLocale = keyof typeof CATALOGS;
export const DEFAULT_LOCALE: SupportedLocale = 'en';
export const SUPPORTED_LOCALES = Object.keys(CATALOGS) as SupportedLocale[];

/** Legacy language codes still sent by some platforms (Java reports Indonesian as `in`). */
const ALIASES: ReadonlyMap<string, SupportedLocale> = new Map([['in', 'id']]);

function isSupported(language: string): language is SupportedLocale {
  return Object.prototype.hasOwnProperty.call(CATALOGS, language);
}

/**
 * Maps a locale as clients send it (`id`, `id-ID`, `id_ID`, `EN-us`) to one we support,
 * by its language subtag; anything else (unknown, empty, missing) falls back to English.
 */
export function resolveLocale(locale: string | null | undefined): SupportedLocale {
  if (typeof locale !== 'string') return DEFAULT_LOCALE;
  const language = locale.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (isSupported(language)) return language;
  return ALIASES.get(language) ?? DEFAULT_LOCALE;
}

/** Brand as it may appear in a message: one line, trimmed; null when absent or blank. */
function cleanBrand(brand: string | null | undefined): string | null {
  if (typeof brand !== 'string') return null;
  const cleaned = brand.replace(/\s+/g, ' ').trim();
  return cleaned.length > 0 ? cleaned : null;
}

/** Renders message `key` in `locale` (English when the locale is unsupported). */
export function renderMessage<K extends MessageKey>(
  locale: string | null | undefined,
  key: K,
  vars: MessageVars[K],
): string {
  const catalog: MessageCatalog = CATALOGS[resolveLocale(locale)];
  const template = catalog[key] as (v: TemplateVars<K>) => string;
  return template({ ...vars, brand: cleanBrand(vars.brand) });
}
