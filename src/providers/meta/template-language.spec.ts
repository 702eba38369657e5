import { chooseTemplateLanguage, metaLanguageCode } from './template-language';

describe('chooseTemplateLanguage', () => {
  const configured = ['en', 'id', 'pt_BR', 'es_MX'];

  it('takes the locale itself when a template exists in it', () => {
    expect(chooseTemplateLanguage('pt-BR', configured)).toBe('pt_BR');
    expect(chooseTemplateLanguage('ID', configured)).toBe('id');
  });

  it('falls back to the same base language among the configured ones', () => {
    expect(chooseTemplateLanguage('pt', configured)).toBe('pt_BR');
    expect(chooseTemplateLanguage('pt_PT', configured)).toBe('pt_BR');
    expect(chooseTemplateLanguage('en-GB', configured)).toBe('en');
    expect(chooseTemplateLanguage('es', configured)).toBe('es_MX');
  });

  it('prefers the first configured language of that base', () => {
    expect(chooseTemplateLanguage('en', ['en_GB', 'en_US'])).toBe('en_GB');
  });

  it('falls back to the first configured language when nothing matches', () => {
    expect(chooseTemplateLanguage('fr', configured)).toBe('en');
    expect(chooseTemplateLanguage('', ['id', 'en'])).toBe('en');
    expect(chooseTemplateLanguage(undefined, ['id', 'pt_BR'])).toBe('id');
  });
});

describe('metaLanguageCode', () => {
  it('writes locales the way Meta names template languages', () => {
    expect(metaLanguageCode('pt-br')).toBe('pt_BR');
    expect(metaLanguageCode('EN')).toBe('en');
    expect(metaLanguageCode(null)).toBe('en');
  });
});
