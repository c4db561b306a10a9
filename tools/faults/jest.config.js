// The short fault suite inside `npm test`: it runs tools/faults/run.mjs --short as a child process (the
// suite starts its own FerretDB, NATS and services), so it needs no global setup.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'faults',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  testTimeout: 25 * 60_000,
};
