module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'testing',
  rootDir: __dirname,
  // Real servers: FerretDB (unless MONGO_URL is set) for the run; each test file starts its own NATS.
  globalSetup: '<rootDir>/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/src/jest-global-teardown.ts',
  testTimeout: 60_000,
};
