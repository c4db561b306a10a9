export * from './subjects';
export * from './envelope';
export * from './errors';
export * from './cases';
export * from './health';
export * from './map';
export * from './validate';
