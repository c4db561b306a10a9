/**
 * Every NATS subject SLA Desk uses.
 *
 * DO NOT RENAME a published subject: other systems subscribe to these strings. To change a payload
 * incompatibly, add a `.v2` subject next to the `.v1` one and publish both until consumers moved.
 */

/** Events: published once through the outbox onto JetStream (stream `SLADESK_EVENTS`). */
export const Events = {
  CaseOpened: 'sladesk.evt.case.opened.v1',
} as const;
export type EventSubject = (typeof Events)[keyof typeof Events];

/** Requests answered over core NATS request/reply by exactly one service instance (queue group). */
export const Rpc = {
  CaseCreate: 'sladesk.rpc.intake.case.create.v1',
  CaseGet: 'sladesk.rpc.intake.case.get.v1',
  CaseList: 'sladesk.rpc.intake.case.list.v1',
  ReportingCaseCounts: 'sladesk.rpc.reporting.case-counts.get.v1',
} as const;
export type RpcSubject = (typeof Rpc)[keyof typeof Rpc];

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
