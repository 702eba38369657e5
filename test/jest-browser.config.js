/**
 * Browser suites (`npm run test:browser`): the real app and Swagger UI in a real Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium). Kept out of `npm test`, which needs no browser.
 */
module.exports = {
  ...require('./jest-e2e.config.js'),
  testRegex: '.*\\.browser-spec\\.ts$',
  testTimeout: 120000,
};
