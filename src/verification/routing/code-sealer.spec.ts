import { CodeSealer } from './code-sealer';

describe('CodeSealer', () => {
  const sealer = new CodeSealer('pepper-0123456789abcdef');

  it('opens what it sealed for the same verification', () => {
    const sealed = sealer.seal('v-1', '042917');
    expect(sealed).not.toContain('042917');
    expect(sealer.open('v-1', sealed)).toBe('042917');
  });

  it('seals the same code differently each time (random IV)', () => {
    expect(sealer.seal('v-1', '042917')).not.toBe(sealer.seal('v-1', '042917'));
  });

  it('refuses a code sealed for another verification, under another pepper, or tampered with', () => {
    const sealed = sealer.seal('v-1', '042917');
    expect(sealer.open('v-2', sealed)).toBeNull();
    expect(new CodeSealer('another-pepper-0123456789').open('v-1', sealed)).toBeNull();
    const [version, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(
      sealer.open('v-1', [version, iv, tag, flipped.toString('base64url')].join('.')),
    ).toBeNull();
    expect(sealer.open('v-1', 'garbage')).toBeNull();
  });
});
