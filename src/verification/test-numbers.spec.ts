import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { normalisePhone } from '../common/phone';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BcryptCodeHasher, CodeHasher, HmacCodeHasher } from './code-hasher';
import { codeBinding, StoredTestNumber, testNumberMark, TestNumbers } from './test-numbers';
import { VerificationRepository } from './verification.repository';
import { Flow } from './verification.types';

const APP_ID = 'app-1';
const TEST_PHONE = '+6281200000001';
const OTHER_PHONE = '+6281200000002';

describe.each([
  ['hmac-sha256', (): CodeHasher => new HmacCodeHasher('pepper-0123456789abcdef')],
  ['bcrypt', (): CodeHasher => new BcryptCodeHasher('pepper-0123456789abcdef', 4)],
])('TestNumbers (%s)', (_name, makeHasher) => {
  let isProduction: boolean;
  let testNumbers: TestNumbers;
  let hasher: CodeHasher;
  let stored: StoredTestNumber[];

  beforeEach(async () => {
    isProduction = false;
    const moduleRef = await Test.createTestingModule({
      providers: [
        TestNumbers,
        { provide: CodeHasher, useValue: makeHasher() },
        {
          provide: APP_CONFIG,
          useFactory: (): Pick<AppConfig, 'isProduction'> => ({
            get isProduction() {
              return isProduction;
            },
          }),
        },
        // Persistence is exercised by the e2e suite; matching and hashing need none of it.
        { provide: getDataSourceToken(), useValue: {} },
        { provide: VerificationRepository, useValue: {} },
        { provide: AuditService, useValue: {} },
        Clock,
      ],
    }).compile();
    testNumbers = moduleRef.get(TestNumbers);
    hasher = moduleRef.get(CodeHasher);
    stored = (await testNumbers.hashForStorage(APP_ID, [{ phone: TEST_PHONE, code: '246810' }]))!;
  });

  const app = (overrides: { testNumbersInProduction?: boolean } = {}) => ({
    testNumbers: stored,
    testNumbersInProduction: false,
    ...overrides,
  });
  const phone = (e164: string) => normalisePhone(e164)!;

  it('stores a hash bound to the app and phone, never the code', async () => {
    expect(stored).toHaveLength(1);
    expect(stored[0].phone).toBe(TEST_PHONE);
    expect(JSON.stringify(stored)).not.toContain('246810');
    const verification = { id: 'v-1', appId: APP_ID, phone: TEST_PHONE, isTest: true };
    await expect(
      hasher.verify(codeBinding(verification), '246810', stored[0].codeHash),
    ).resolves.toBe(true);
    await expect(
      hasher.verify(codeBinding(verification), '246811', stored[0].codeHash),
    ).resolves.toBe(false);
    // The same code configured for another app or phone gives a different, non-interchangeable hash.
    await expect(
      hasher.verify(codeBinding({ ...verification, appId: 'app-2' }), '246810', stored[0].codeHash),
    ).resolves.toBe(false);
    await expect(
      hasher.verify(
        codeBinding({ ...verification, phone: OTHER_PHONE }),
        '246810',
        stored[0].codeHash,
      ),
    ).resolves.toBe(false);
  });

  it('binds an ordinary verification to its id', () => {
    expect(codeBinding({ id: 'v-1', appId: APP_ID, phone: TEST_PHONE, isTest: false })).toBe('v-1');
  });

  it('stores nothing for an empty or missing list', async () => {
    await expect(testNumbers.hashForStorage(APP_ID, [])).resolves.toBeNull();
    await expect(testNumbers.hashForStorage(APP_ID, null)).resolves.toBeNull();
  });

  it('matches a listed phone on the outbound flow only', () => {
    expect(testNumbers.match(app(), Flow.OUTBOUND, phone(TEST_PHONE))).toEqual({
      codeHash: stored[0].codeHash,
      countPerPhone: false,
    });
    expect(testNumbers.match(app(), Flow.OUTBOUND, phone(OTHER_PHONE))).toBeNull();
    expect(testNumbers.match(app(), Flow.INBOUND, phone(TEST_PHONE))).toBeNull();
    expect(testNumbers.match(app(), Flow.OUTBOUND, null)).toBeNull();
    expect(
      testNumbers.match({ ...app(), testNumbers: null }, Flow.OUTBOUND, phone(TEST_PHONE)),
    ).toBeNull();
  });

  it('in production matches only when the app opted in, and keeps the per-phone limits', () => {
    isProduction = true;
    expect(testNumbers.activeFor(app())).toBe(false);
    expect(testNumbers.match(app(), Flow.OUTBOUND, phone(TEST_PHONE))).toBeNull();
    const optedIn = app({ testNumbersInProduction: true });
    expect(testNumbers.activeFor(optedIn)).toBe(true);
    expect(testNumbers.match(optedIn, Flow.OUTBOUND, phone(TEST_PHONE))).toEqual({
      codeHash: stored[0].codeHash,
      countPerPhone: true,
    });
  });

  it('outside production honours them whatever the flag says', () => {
    expect(testNumbers.activeFor(app())).toBe(true);
    expect(testNumbers.activeFor(app({ testNumbersInProduction: true }))).toBe(true);
  });

  it('marks audit data of test verifications only', () => {
    expect(testNumberMark({ isTest: true })).toEqual({ testNumber: true });
    expect(testNumberMark({ isTest: false })).toEqual({});
  });
});
