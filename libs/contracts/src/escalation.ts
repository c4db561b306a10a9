// Contracts of the escalation context (subjects, payload classes, request/response classes and their
// maps). Filled by the issue that builds it (#6); merged into the global maps in map.ts.

/** Events. DO NOT RENAME a published subject. */
export const EscalationEvents = {} as const;
/** Requests. DO NOT RENAME. */
export const EscalationRpc = {} as const;

export type EscalationEventMap = Record<never, never>;
export const EscalationEventClasses = {};
export type EscalationRpcMap = Record<never, never>;
export const EscalationRpcClasses = {};
