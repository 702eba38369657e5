import { samePhone } from './phone-match';

describe('samePhone', () => {
  it.each([
    ['+6281212345678', '+6281212345678'],
    ['+6281212345678', '6281212345678'],
    ['+62 812-1234-5678', '+6281212345678'],
    ['+393312345678', '+393312345678'],
  ])('equal numbers: %s = %s', (a, b) => {
    expect(samePhone(a, b)).toBe(true);
  });

  describe('Brazil: ninth digit', () => {
    it.each([
      ['São Paulo', '+5511987654321', '+551187654321'],
      ['São Paulo, starting 96', '+5511961234567', '+551161234567'],
      ['Rio de Janeiro', '+5521998765432', '+552198765432'],
      ['Rio de Janeiro, starting 97', '+5521976543210', '+552176543210'],
      ['Recife', '+5581991234567', '+558191234567'],
    ])('%s: with and without the 9 match both ways', (_city, withNine, withoutNine) => {
      expect(samePhone(withNine, withoutNine)).toBe(true);
      expect(samePhone(withoutNine, withNine)).toBe(true);
      expect(samePhone(withNine, withoutNine.slice(1))).toBe(true);
    });

    it.each([
      ['another subscriber', '+5511987654321', '+551187654322'],
      ['another area code (11 vs 21)', '+5511987654321', '+552187654321'],
      ['a landline (starts 3) against a mobile with 9', '+551133334444', '+5511933334444'],
      ['a landline (starts 2) against a mobile with 9', '+552125551234', '+5521925551234'],
      ['a different leading digit than 9', '+5511887654321', '+551187654321'],
      ['two 9-digit numbers that differ', '+5511987654321', '+5511987654320'],
    ])('no match: %s', (_case, a, b) => {
      expect(samePhone(a, b)).toBe(false);
      expect(samePhone(b, a)).toBe(false);
    });
  });

  describe('Mexico: the old mobile 1', () => {
    it.each([
      ['Mexico City', '+5215512345678', '+525512345678'],
      ['Guadalajara', '+5213312345678', '+523312345678'],
      ['Monterrey', '+5218112345678', '+528112345678'],
    ])('%s: with and without the 1 match both ways', (_city, withOne, withoutOne) => {
      expect(samePhone(withOne, withoutOne)).toBe(true);
      expect(samePhone(withoutOne, withOne)).toBe(true);
      expect(samePhone(withOne.slice(1), withoutOne)).toBe(true);
    });

    it.each([
      ['another subscriber', '+5215512345678', '+525512345679'],
      ['another area code', '+5215512345678', '+523312345678'],
      [
        'a 1 that is not the mobile prefix (11 digits after 52, wrong length)',
        '+52155123456',
        '+5255123456',
      ],
    ])('no match: %s', (_case, a, b) => {
      expect(samePhone(a, b)).toBe(false);
      expect(samePhone(b, a)).toBe(false);
    });
  });

  describe('other countries are never loosened', () => {
    it.each([
      ['Indonesia with an extra 9', '+62812912345678', '+6281212345678'],
      ['Argentina with and without the mobile 9', '+5491123456789', '+541123456789'],
      ['Italy with and without a 1', '+3913312345678', '+393312345678'],
      ['a Brazil-like number under another code (+56 Chile)', '+56987654321', '+5687654321'],
      ['a Mexico-like number under another code (+51 Peru)', '+511912345678', '+51912345678'],
      ['US numbers one digit apart', '+12015550123', '+12015550124'],
      ['same national digits, other country', '+5511987654321', '+5211987654321'],
    ])('%s', (_case, a, b) => {
      expect(samePhone(a, b)).toBe(false);
      expect(samePhone(b, a)).toBe(false);
    });
  });

  it.each([
    ['', ''],
    ['abc', 'abc'],
    ['+', '+'],
    ['+0123456789', '+0123456789'],
    ['+6281212345678', 'user.abc123'],
  ])('invalid input is never the same: %p vs %p', (a, b) => {
    expect(samePhone(a, b)).toBe(false);
  });
});
