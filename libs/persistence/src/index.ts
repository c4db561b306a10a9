export * from './connection';
export * from './apply-once';
export * from './scoped-repository';
export * from './duplicate-key';
export * from './due-index';
export * from './cursor';
export * from './unavailable';
