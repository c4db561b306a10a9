module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'outbound',
  rootDir: __dirname,
  // Real servers: FerretDB (unless MONGO_URL is set) for the run; each test file starts its own NATS.
  globalSetup: '<rootDir>/../../libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/testing/src/jest-global-teardown.ts',
  testTimeout: 60_000,
  // Its own specs (the composer, the SMTP pool) are here; deliveries end to end are tested through its callers (apps/*/test).
};
