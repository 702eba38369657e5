/** Black-box suites: the real app on a real database (E2E_DATABASE_URL, SQLite by default). */
module.exports = {
  rootDir: '.',
  testRegex: '.*\\.e2e-spec\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.json' }],
    // content-disposition (used by @fastify/static for Swagger UI) ships ES modules only.
    '^.+/node_modules/content-disposition/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['js', 'json', 'ts'],
  // The client's examples import it by its package name (clients/typescript).
  moduleNameMapper: { '^@wa-verify/client$': '<rootDir>/../clients/typescript/src' },
  testEnvironment: 'node',
  testTimeout: 30000,
};
