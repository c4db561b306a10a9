export * from './infra';
export * from './helpers';
export * from './smtp-sink';
export * from './system';
export * from './test-infra';
