export * from './connection';
export * from './apply-once';
export * from './scoped-repository';
