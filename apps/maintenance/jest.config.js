module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'maintenance',
  rootDir: __dirname,
  // Real servers: FerretDB (unless MONGO_URL is set) for the run; each test file starts its own NATS.
  globalSetup: '<rootDir>/../../libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/testing/src/jest-global-teardown.ts',
  testTimeout: 60_000,
  // No tests yet: this service's behaviour arrives with its issue; the gateway e2e suite boots it.
  passWithNoTests: true,
};
