module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'escalation',
  rootDir: __dirname,
};
