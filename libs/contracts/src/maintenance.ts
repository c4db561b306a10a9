// Contracts of the maintenance context (subjects, payload classes, request/response classes and their
// maps). Filled by the issue that builds it (#later); merged into the global maps in map.ts.

/** Events. DO NOT RENAME a published subject. */
export const MaintenanceEvents = {} as const;
/** Requests. DO NOT RENAME. */
export const MaintenanceRpc = {} as const;

export type MaintenanceEventMap = Record<never, never>;
export const MaintenanceEventClasses = {};
export type MaintenanceRpcMap = Record<never, never>;
export const MaintenanceRpcClasses = {};
