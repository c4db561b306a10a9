export * from './config';
export * from './delivery.schema';
export * from './outbound.module';
export * from './outbound.service';
export { PermanentDeliveryError } from './transports';
