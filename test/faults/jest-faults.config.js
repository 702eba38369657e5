/**
 * Fault suites: the BUILT service (`npm run build` first) as child processes on MariaDB + Redis,
 * killed, cut off from its database or Redis, and fuzzed. Run with `npm run test:faults`.
 */
module.exports = {
  rootDir: '.',
  testRegex: '.*\\.fault-spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.json' }] },
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  testTimeout: 180000,
};
