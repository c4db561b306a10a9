import { AsyncLocalStorage } from 'node:async_hooks';

export interface MessageContext {
  correlationId: string;
  /** The id of the message being handled: the causationId of anything it causes. */
  causationId: string;
}

const storage = new AsyncLocalStorage<MessageContext>();

/** Runs `fn` with the correlation of the message (or request) being handled. */
export const runInContext = <T>(ctx: MessageContext, fn: () => T): T => storage.run(ctx, fn);
export const currentContext = (): MessageContext | undefined => storage.getStore();

export const CORRELATION_HEADER = 'Sladesk-Correlation-Id';
export const CAUSATION_HEADER = 'Sladesk-Causation-Id';
