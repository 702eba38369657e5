import { LookupAddress } from 'node:dns';
import { HostResolver } from './host-resolver';
import { addressRejection, WebhookUrlPolicy } from './webhook-url.policy';

/** A resolver answering from a fixed table; unknown names fail like NXDOMAIN. */
class StubResolver extends HostResolver {
  constructor(private readonly table: Record<string, string[]>) {
    super();
  }

  lookup(hostname: string, family: 0 | 4 | 6): Promise<LookupAddress[]> {
    const addresses = this.table[hostname];
    if (!addresses) return Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }));
    return Promise.resolve(
      addresses
        .map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
        .filter((entry) => family === 0 || entry.family === family),
    );
  }
}

const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'nat64-public.example.com': ['64:ff9b::808:808'],
  'rebind.example.com': ['93.184.215.14', '127.0.0.1'],
  'mapped.example.com': ['::ffff:7f00:1'],
  'metadata.example.com': ['169.254.169.254'],
  'nat64.example.com': ['64:ff9b::a00:1'],
  'sixtofour.example.com': ['2002:c0a8:101::1'],
  'ula.example.com': ['fd12:3456::1'],
  'cgnat.example.com': ['100.64.1.1'],
  'empty.example.com': [],
};

const policy = (isProduction: boolean): WebhookUrlPolicy =>
  new WebhookUrlPolicy({ isProduction }, new StubResolver(DNS));

/** Every address form an SSRF could hide behind, with the reason it is not global unicast. */
const DENIED_ADDRESSES: [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['100.64.0.1', 'CGNAT 100.64.0.0/10'],
  ['100.127.255.254', 'CGNAT upper end'],
  ['198.18.0.1', 'benchmarking 198.18.0.0/15'],
  ['198.19.255.1', 'benchmarking upper half'],
  ['192.0.0.8', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['198.51.100.7', 'documentation TEST-NET-2'],
  ['203.0.113.9', 'documentation TEST-NET-3'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['224.0.0.1', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback (what the URL parser makes of ::ffff:127.0.0.1)'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:a00:1', 'IPv4-mapped private'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata'],
  ['::7f00:1', 'IPv4-compatible loopback'],
  ['::127.0.0.1', 'IPv4-compatible loopback, dotted'],
  ['::808:808', 'IPv4-compatible even for a public IPv4 (deprecated, not routable)'],
  ['::ffff:0:7f00:1', 'IPv4-translated (RFC 6145)'],
  ['64:ff9b::7f00:1', 'NAT64 loopback'],
  ['64:ff9b::a00:1', 'NAT64 private'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 metadata'],
  ['64:ff9b:1::808:808', 'local-use NAT64 64:ff9b:1::/48'],
  ['2002:7f00:1::1', '6to4 of loopback'],
  ['2002:808:808::1', '6to4 of a public IPv4'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation 3fff::/20'],
  ['2001:2::1', 'benchmarking'],
  ['fe80::1', 'link-local'],
  ['fec0::1', 'deprecated site-local fec0::/10'],
  ['fc00::1', 'unique local'],
  ['fd12:3456::1', 'unique local'],
  ['ff02::1', 'multicast'],
  ['100::1', 'discard-only'],
  ['5f00::1', 'segment routing'],
  ['4000::1', 'unallocated, outside 2000::/3'],
  ['fe80::1%eth0', 'zone id'],
];

const ALLOWED_ADDRESSES = [
  '8.8.8.8',
  '93.184.215.14',
  '172.32.0.1',
  '100.128.0.1',
  '198.20.0.1',
  '2606:4700::1111',
  '2a00:1450:4001:81b::200e',
  '::ffff:808:808',
  '64:ff9b::808:808',
];

describe('addressRejection', () => {
  it.each(DENIED_ADDRESSES)('refuses %s (%s)', (address) => {
    expect(addressRejection(address)).toEqual(expect.any(String));
  });

  it.each(ALLOWED_ADDRESSES)('allows the public address %s', (address) => {
    expect(addressRejection(address)).toBeNull();
  });

  it('names the embedded IPv4 it refused', () => {
    expect(addressRejection('::ffff:7f00:1')).toContain('127.0.0.1');
    expect(addressRejection('64:ff9b::a00:1')).toContain('10.0.0.1');
  });
});

describe('WebhookUrlPolicy in production', () => {
  const prod = policy(true);

  const bracketed = DENIED_ADDRESSES.filter(([address]) => !address.includes('%')).map(
    ([address, why]) => [
      address.includes(':') ? `https://[${address}]/hook` : `https://${address}/hook`,
      why,
    ],
  );

  it.each(bracketed)('refuses %s at registration (%s)', async (url) => {
    await expect(prod.assertAllowed(url)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(prod.rejection(url)).toEqual(expect.any(String));
  });

  it.each([
    ['https://0x7f.1/hook', 'hex shorthand of 127.0.0.1'],
    ['https://2130706433/hook', 'decimal 127.0.0.1'],
    ['https://[::ffff:127.0.0.1]:8443/hook', 'mapped with a port'],
    ['https://localhost/hook', 'localhost'],
    ['https://api.localhost./hook', '.localhost with a trailing dot'],
    ['https://db.internal/hook', '.internal'],
    ['http://hooks.example.com/hook', 'plain http'],
    ['ftp://hooks.example.com/hook', 'not http(s)'],
    ['not a url', 'garbage'],
  ])('refuses %s (%s)', async (url) => {
    await expect(prod.check(url)).resolves.toEqual(expect.any(String));
  });

  it.each([
    ['https://rebind.example.com/hook', 'one of its addresses is loopback'],
    ['https://mapped.example.com/hook', 'an IPv4-mapped loopback answer'],
    ['https://metadata.example.com/hook', 'the metadata address'],
    ['https://nat64.example.com/hook', 'a NAT64 answer for a private IPv4'],
    ['https://sixtofour.example.com/hook', 'a 6to4 answer'],
    ['https://ula.example.com/hook', 'a unique-local answer'],
    ['https://cgnat.example.com/hook', 'a CGNAT answer'],
    ['https://empty.example.com/hook', 'no answer'],
    ['https://nxdomain.example.com/hook', 'NXDOMAIN'],
  ])('refuses the name in %s when it resolves to %s', async (url) => {
    await expect(prod.check(url)).resolves.toEqual(expect.stringContaining('example.com'));
    await expect(prod.assertAllowed(url)).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it.each([
    'https://hooks.example.com/hook',
    'https://nat64-public.example.com/hook',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
    'https://[64:ff9b::808:808]/hook',
  ])('allows %s', async (url) => {
    await expect(prod.check(url)).resolves.toBeNull();
    await expect(prod.assertAllowed(url)).resolves.toBeUndefined();
  });

  const connect = (hostname: string, all = false) =>
    new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((resolve) =>
      prod.connectLookup()!(hostname, { all }, (error, address) =>
        resolve({ error, result: address }),
      ),
    );

  it.each(['rebind.example.com', 'mapped.example.com', 'nat64.example.com', 'ula.example.com'])(
    'refuses to connect to %s (DNS rebinding after registration)',
    async (hostname) => {
      const { error } = await connect(hostname);
      expect(error?.code).toBe('EPRIVATEADDR');
    },
  );

  it('connects to a public name, in both lookup shapes', async () => {
    await expect(connect('hooks.example.com')).resolves.toEqual({
      error: null,
      result: '93.184.215.14',
    });
    const all = await connect('hooks.example.com', true);
    expect(all.error).toBeNull();
    expect(all.result).toHaveLength(2);
  });

  it('passes a resolver failure on as is', async () => {
    const { error } = await connect('nxdomain.example.com');
    expect(error?.code).toBe('ENOTFOUND');
  });
});

describe('WebhookUrlPolicy outside production', () => {
  it('lets any http(s) URL through, including loopback and private names', async () => {
    const dev = policy(false);
    expect(dev.rejection('http://127.0.0.1:8080/hook')).toBeNull();
    await expect(dev.check('http://[::ffff:7f00:1]/hook')).resolves.toBeNull();
    await expect(dev.check('http://rebind.example.com/hook')).resolves.toBeNull();
    expect(dev.connectLookup()).toBeNull();
    expect(dev.rejection('ftp://127.0.0.1/')).toMatch(/http/);
  });
});
