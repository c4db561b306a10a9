// Contracts of the sla context (subjects, payload classes, request/response classes and their
// maps). Filled by the issue that builds it (#5); merged into the global maps in map.ts.

/** Events. DO NOT RENAME a published subject. */
export const SlaEvents = {} as const;
/** Requests. DO NOT RENAME. */
export const SlaRpc = {} as const;

export type SlaEventMap = Record<never, never>;
export const SlaEventClasses = {};
export type SlaRpcMap = Record<never, never>;
export const SlaRpcClasses = {};
