/**
 * Subjects and streams of the platform itself. The business subjects live with their context
 * (cases.ts, sla.ts …) and are merged in map.ts.
 *
 * DO NOT RENAME a published subject: other systems subscribe to these strings. To change a payload
 * incompatibly, add a `.v2` subject next to the `.v1` one and publish both until consumers moved.
 */

/** The six services; each answers `ping` and `metrics` on its own subjects. */
export const SERVICES = ['intake', 'sla', 'escalation', 'maintenance', 'reporting'] as const;
export type ServiceName = (typeof SERVICES)[number] | 'gateway';

export const pingSubject = (service: ServiceName): string => `sladesk.rpc.${service}.ping.v1`;
export const metricsSubject = (service: ServiceName): string => `sladesk.rpc.${service}.metrics.v1`;

/** JetStream layout. */
export const Streams = {
  Events: { name: 'SLADESK_EVENTS', subjects: ['sladesk.evt.>'] },
  DeadLetters: { name: 'SLADESK_DLQ', subjects: ['sladesk.dlq.>'] },
} as const;

/** Where a message that exhausted its deliveries goes: `sladesk.dlq.<consumer>.<original subject>`. */
export const deadLetterSubject = (consumer: string, subject: string): string =>
  `sladesk.dlq.${consumer}.${subject}`;
