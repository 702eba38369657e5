/**
 * Which language of the authentication template a verification's locale gets. Meta refuses a send
 * in a language the template does not exist in, so only configured languages
 * (META_TEMPLATE_LANGUAGES) are ever chosen:
 * 1. the locale itself (`pt-BR` → `pt_BR`), when configured;
 * 2. else the first configured language with the same base language (`pt` → `pt_BR`,
 *    `en_GB` → `en`, `en_GB` → `en_US`);
 * 3. else the first configured language.
 */
export function chooseTemplateLanguage(
  locale: string | null | undefined,
  configured: string[],
): string {
  const wanted = metaLanguageCode(locale);
  if (configured.includes(wanted)) return wanted;
  const base = baseLanguage(wanted);
  return configured.find((language) => baseLanguage(language) === base) ?? configured[0] ?? wanted;
}

/** `en` → `en`, `pt-BR` / `pt_br` → `pt_BR` (Meta's template language codes). */
export function metaLanguageCode(locale: string | null | undefined): string {
  const [language, region] = (locale || 'en').trim().split(/[-_]/);
  const lang = (language || 'en').toLowerCase();
  return region ? `${lang}_${region.toUpperCase()}` : lang;
}

function baseLanguage(code: string): string {
  return code.split('_')[0];
}
