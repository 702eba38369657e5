import * as bcrypt from 'bcrypt';
import { BcryptCodeHasher, HmacCodeHasher } from './code-hasher';

describe.each([
  ['hmac-sha256', () => new HmacCodeHasher('pepper-0123456789abcdef')],
  ['bcrypt', () => new BcryptCodeHasher('pepper-0123456789abcdef', 4)],
])('%s code hasher', (_name, make) => {
  const hasher = make();

  it('accepts the code it hashed and nothing else', async () => {
    const stored = await hasher.hash('verification-1', '123456');
    expect(stored).not.toContain('123456');
    await expect(hasher.verify('verification-1', '123456', stored)).resolves.toBe(true);
    await expect(hasher.verify('verification-1', '123457', stored)).resolves.toBe(false);
    await expect(hasher.verify('verification-1', '', stored)).resolves.toBe(false);
  });

  it('binds the hash to its verification', async () => {
    const stored = await hasher.hash('verification-1', '123456');
    await expect(hasher.verify('verification-2', '123456', stored)).resolves.toBe(false);
  });
});

describe('HmacCodeHasher', () => {
  it('depends on the pepper, so a database dump alone cannot be brute-forced', async () => {
    const a = await new HmacCodeHasher('pepper-aaaaaaaaaaaaaaaa').hash('v', '1234');
    const b = await new HmacCodeHasher('pepper-bbbbbbbbbbbbbbbb').hash('v', '1234');
    expect(a).not.toBe(b);
    await expect(
      new HmacCodeHasher('pepper-bbbbbbbbbbbbbbbb').verify('v', '1234', a),
    ).resolves.toBe(false);
  });

  it('predicts the stored hash of a code (what a database can compare before any read)', async () => {
    const hasher = new HmacCodeHasher('pepper-0123456789abcdef');
    const stored = await hasher.hash('v', '1234');
    expect(hasher.predictableHash('v', '1234')).toBe(stored);
    expect(hasher.predictableHash('v', '1235')).not.toBe(stored);
    expect(hasher.predictableHash('w', '1234')).not.toBe(stored);
  });

  it('rejects a bcrypt hash and vice versa', async () => {
    const hmac = await new HmacCodeHasher('pepper-0123456789abcdef').hash('v', '1234');
    const bcryptHash = await new BcryptCodeHasher('pepper-0123456789abcdef', 4).hash('v', '1234');
    await expect(
      new BcryptCodeHasher('pepper-0123456789abcdef', 4).verify('v', '1234', hmac),
    ).resolves.toBe(false);
    await expect(
      new HmacCodeHasher('pepper-0123456789abcdef').verify('v', '1234', bcryptHash),
    ).resolves.toBe(false);
  });
});

describe('BcryptCodeHasher', () => {
  it('has no predictable hash: every hash is salted', async () => {
    const hasher = new BcryptCodeHasher('pepper-0123456789abcdef', 4);
    expect(hasher.predictableHash()).toBeNull();
    expect(await hasher.hash('v', '1234')).not.toBe(await hasher.hash('v', '1234'));
  });

  it('hashes the peppered code, so a database dump alone cannot be brute-forced', async () => {
    const stored = await new BcryptCodeHasher('pepper-aaaaaaaaaaaaaaaa', 4).hash('v', '123456');
    expect(stored).toMatch(/^\$2[aby]\$04\$/);
    // What an attacker with the dump but without the pepper would try: bcrypt of `id:code`.
    await expect(bcrypt.compare('v:123456', stored)).resolves.toBe(false);
    await expect(
      new BcryptCodeHasher('pepper-bbbbbbbbbbbbbbbb', 4).verify('v', '123456', stored),
    ).resolves.toBe(false);
    await expect(
      new BcryptCodeHasher('pepper-aaaaaaaaaaaaaaaa', 4).verify('v', '123456', stored),
    ).resolves.toBe(true);
  });
});
