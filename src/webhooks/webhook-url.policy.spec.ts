import { AppConfig } from '../config/app-config';
import { isPrivateAddress, WebhookUrlPolicy } from './webhook-url.policy';

const policy = (isProduction: boolean): WebhookUrlPolicy =>
  new WebhookUrlPolicy({ isProduction } as AppConfig);

describe('WebhookUrlPolicy at send time', () => {
  it('lets anything through outside production', () => {
    expect(policy(false).rejection('http://127.0.0.1:8080/hook')).toBeNull();
    expect(policy(false).connectLookup()).toBeNull();
  });

  it('refuses private literals and plain http in production, and guards DNS answers', () => {
    const prod = policy(true);
    expect(prod.rejection('https://10.1.2.3/hook')).toMatch(/private/);
    expect(prod.rejection('http://hooks.example.com/')).toMatch(/https/);
    expect(prod.rejection('https://hooks.example.com/')).toBeNull();
    expect(prod.connectLookup()).toEqual(expect.any(Function));
  });

  it('refuses a name that resolves to loopback in production', async () => {
    const lookup = policy(true).connectLookup()!;
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('localhost', {}, (err) => resolve(err)),
    );
    expect(error?.code).toBe('EPRIVATEADDR');
  });

  it('knows private address ranges', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      '::ffff:10.0.0.1',
    ])
      expect(isPrivateAddress(ip)).toBe(true);
    for (const ip of ['8.8.8.8', '172.32.0.1', '2606:4700::1111'])
      expect(isPrivateAddress(ip)).toBe(false);
  });
});
