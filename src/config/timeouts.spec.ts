import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';
import {
  CREATION_SEND_WINDOW_MS,
  DELIVERY_STEP_LEASE_MS,
  INBOX_LEASE_MS,
  LEASE_MARGIN_MS,
  MAX_OUTBOUND_TIMEOUT_MS,
} from './timeouts';

const base = (): Record<string, string> => ({
  DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-timeouts-')),
});

describe('outbound timeouts are bounded by the leases', () => {
  it.each(['META_TIMEOUT', 'TWILIO_TIMEOUT', 'WEBHOOK_TIMEOUT'])(
    '%s accepts up to the maximum and refuses more (or zero)',
    (name) => {
      const config = loadConfig({ ...base(), [name]: '30s' });
      expect([config.meta.timeoutMs, config.twilio.timeoutMs, config.webhookTimeoutMs]).toContain(
        MAX_OUTBOUND_TIMEOUT_MS,
      );
      expect(() => loadConfig({ ...base(), [name]: '31s' })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base(), [name]: '5m' })).toThrow(new RegExp(`^${name} must`));
      expect(() => loadConfig({ ...base(), [name]: '0' })).toThrow(ConfigError);
    },
  );

  it('keeps the defaults at 10 s', () => {
    const config = loadConfig(base());
    expect(config.meta.timeoutMs).toBe(10_000);
    expect(config.twilio.timeoutMs).toBe(10_000);
    expect(config.webhookTimeoutMs).toBe(10_000);
  });

  it('derives every lease and stale window from the maximum, with a margin for two calls', () => {
    expect(MAX_OUTBOUND_TIMEOUT_MS).toBe(30_000);
    for (const window of [INBOX_LEASE_MS, CREATION_SEND_WINDOW_MS]) {
      expect(window).toBeGreaterThanOrEqual(2 * MAX_OUTBOUND_TIMEOUT_MS + LEASE_MARGIN_MS);
    }
  });

  it('gives a creation and a delivery step room for every step of a plan (3 at most)', () => {
    for (const window of [CREATION_SEND_WINDOW_MS, DELIVERY_STEP_LEASE_MS]) {
      expect(window).toBeGreaterThanOrEqual(3 * MAX_OUTBOUND_TIMEOUT_MS + LEASE_MARGIN_MS);
    }
  });
});
