// Contracts of the accounts context (subjects, payload classes, request/response classes and their
// maps). Filled by the issue that builds it (#4); merged into the global maps in map.ts.

/** Events. DO NOT RENAME a published subject. */
export const AccountEvents = {} as const;
/** Requests. DO NOT RENAME. */
export const AccountRpc = {} as const;

export type AccountEventMap = Record<never, never>;
export const AccountEventClasses = {};
export type AccountRpcMap = Record<never, never>;
export const AccountRpcClasses = {};
