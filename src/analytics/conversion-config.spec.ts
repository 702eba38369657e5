import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';

const load = (env: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-conversion-')), ...env }).fraud
    .conversion;

describe('conversion guard configuration', () => {
  it('defaults to shadow, 1h window, 50 verifications, 0.2, 1h block', () => {
    expect(load({})).toEqual({
      mode: 'shadow',
      windowMs: 3_600_000,
      minVolume: 50,
      minRate: 0.2,
      blockMs: 3_600_000,
      evaluateIntervalMs: 5_000,
      priceMicros: {},
    });
  });

  it('reads every variable, durations with their unit', () => {
    expect(
      load({
        CONVERSION_GUARD: 'enforce',
        CONVERSION_GUARD_WINDOW: '30m',
        CONVERSION_GUARD_MIN_VOLUME: '20',
        CONVERSION_GUARD_MIN_RATE: '0.35',
        CONVERSION_GUARD_BLOCK_DURATION: '2h',
        CONVERSION_GUARD_EVALUATE_INTERVAL: '2s',
        CONVERSION_PRICE_TABLE: 'ID=0.0294, IT=0.0572,*=0.05',
      }),
    ).toEqual({
      mode: 'enforce',
      windowMs: 1_800_000,
      minVolume: 20,
      minRate: 0.35,
      blockMs: 7_200_000,
      evaluateIntervalMs: 2_000,
      priceMicros: { ID: 29_400, IT: 57_200, '*': 50_000 },
    });
  });

  it.each([
    ['CONVERSION_GUARD', 'on', /CONVERSION_GUARD must be one of off, shadow, enforce/],
    ['CONVERSION_GUARD_WINDOW', '3600', /CONVERSION_GUARD_WINDOW must be a duration with a unit/],
    ['CONVERSION_GUARD_BLOCK_DURATION', '60', /CONVERSION_GUARD_BLOCK_DURATION must be a duration/],
    ['CONVERSION_GUARD_MIN_RATE', '20', /CONVERSION_GUARD_MIN_RATE must be a number from 0 to 1/],
    ['CONVERSION_GUARD_MIN_RATE', '-0.1', /CONVERSION_GUARD_MIN_RATE must be a number/],
    ['CONVERSION_GUARD_MIN_VOLUME', '0', /CONVERSION_GUARD_MIN_VOLUME must be an integer from 1/],
    ['CONVERSION_PRICE_TABLE', 'ID:0.03', /CONVERSION_PRICE_TABLE must be a comma list/],
    ['CONVERSION_PRICE_TABLE', 'id=0.03', /CONVERSION_PRICE_TABLE must be a comma list/],
    ['CONVERSION_PRICE_TABLE', 'ID=0.03,ID=0.04', /each once/],
    ['CONVERSION_PRICE_TABLE', 'ID=-1', /CONVERSION_PRICE_TABLE must be a comma list/],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => load({ [name]: value })).toThrow(message);
  });
});
