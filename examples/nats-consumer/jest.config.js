module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'example-nats-consumer',
  rootDir: __dirname,
};
