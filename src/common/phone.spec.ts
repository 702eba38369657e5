import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { countryOfE164, NormalisedPhone, normalisePhone, phoneRejection } from './phone';

function phone(input: string): NormalisedPhone {
  const parsed = normalisePhone(input);
  if (!parsed) throw new Error(`test number ${input} is not valid`);
  return parsed;
}

describe('normalisePhone', () => {
  it.each([
    ['+62 812-1234-5678', '+6281212345678'],
    ['0062 812 1234 5678', '+6281212345678'],
    ['6281212345678', '+6281212345678'],
  ])('%s → %s', (input, e164) => {
    expect(normalisePhone(input)?.e164).toBe(e164);
  });

  it('returns null for an invalid number', () => {
    expect(normalisePhone('+62 12')).toBeNull();
  });
});

describe('phoneRejection', () => {
  // Real-looking numbers, each checked below to have the type libphonenumber gives it.
  it.each([
    ['PREMIUM_RATE', '+44 909 876 5432', /premium-rate/i],
    ['PREMIUM_RATE', '+1 900 234 5678', /premium-rate/i],
    ['SHARED_COST', '+33 810 12 34 56', /shared-cost/i],
    ['SHARED_COST', '+34 901 12 34 56', /shared-cost/i],
    ['TOLL_FREE', '+1 800 234 5678', /toll-free/i],
    ['TOLL_FREE', '+49 800 1234567', /toll-free/i],
    ['TOLL_FREE', '+800 1234 5678', /toll-free/i],
    ['PAGER', '+44 7640 123456', /pager/i],
    ['UAN', '+44 55 1234 5678', /universal access/i],
    ['VOICEMAIL', '+41 860 123 456 789', /voicemail/i],
    ['PERSONAL_NUMBER', '+44 70 1234 5678', /personal/i],
    ['PERSONAL_NUMBER', '+1 500 234 5678', /personal/i],
    ['FIXED_LINE', '+62 21 555 1234', /landline/i],
    ['FIXED_LINE', '+39 06 1234 5678', /landline/i],
    ['FIXED_LINE', '+55 11 3333-4444', /landline/i],
  ])('refuses %s: %s', (type, input, reason) => {
    const p = phone(input);
    expect(p.type).toBe(type);
    expect(phoneRejection(p)).toMatch(reason);
  });

  it.each([
    ['MOBILE', '+62 812-1234-5678'],
    ['MOBILE', '+55 11 98765-4321'],
    ['MOBILE', '+39 331 234 5678'],
    ['FIXED_LINE_OR_MOBILE', '+1 201 555 0123'],
    ['FIXED_LINE_OR_MOBILE', '+52 55 1234 5678'],
    ['VOIP', '+44 56 1234 5678'],
    ['VOIP', '+31 85 012 3456'],
  ])('allows %s: %s', (type, input) => {
    const p = phone(input);
    expect(p.type).toBe(type);
    expect(phoneRejection(p)).toBeNull();
  });

  it('allows a number whose type is unknown', () => {
    const p: NormalisedPhone = {
      e164: '+6281212345678',
      country: 'ID',
      callingCode: '62',
      type: null,
    };
    expect(phoneRejection(p)).toBeNull();
  });

  it('does not treat inherited object keys as types', () => {
    const p: NormalisedPhone = { e164: '+1', country: null, callingCode: '1', type: 'constructor' };
    expect(phoneRejection(p)).toBeNull();
  });

  it('allows the example mobile number of every country', () => {
    const refused: string[] = [];
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (!example) continue;
      const p = normalisePhone(example.number);
      if (p && phoneRejection(p) !== null) refused.push(`${country} ${example.number} ${p.type}`);
    }
    expect(refused).toEqual([]);
  });
});

describe('countryOfE164', () => {
  it('answers what a full parse answers, for the example mobile number of every country', () => {
    const differ: string[] = [];
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (!example) continue;
      const parsed = normalisePhone(example.number)?.country ?? null;
      const fast = countryOfE164(example.number);
      if (fast !== parsed) differ.push(`${country} ${example.number}: ${fast} != ${parsed}`);
    }
    expect(differ).toEqual([]);
  });

  it('tells apart the countries of a shared calling code, and knows no country for the rest', () => {
    expect(countryOfE164('+14155552671')).toBe('US');
    expect(countryOfE164('+16135550123')).toBe('CA');
    expect(countryOfE164('+447400123456')).toBe('GB');
    expect(countryOfE164('+6281234567890')).toBe('ID');
    expect(countryOfE164('+80012345678')).toBeNull();
    expect(countryOfE164(null)).toBeNull();
    expect(countryOfE164('6281234567890')).toBeNull();
  });
});

describe('normalisePhone on repeated input', () => {
  it('answers a number parsed before with the same frozen result, and an invalid one with null again', () => {
    const first = normalisePhone('+62 812-1234-5678');
    const again = normalisePhone('+62 812-1234-5678');
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(normalisePhone('+62 812')).toBeNull();
    expect(normalisePhone('+62 812')).toBeNull();
  });
});
