import { randomUUID } from 'node:crypto';

/** What travels on every event subject: metadata around a typed payload. */
export interface EventEnvelope<P = unknown> {
  /** Unique per event; also the JetStream `Nats-Msg-Id`, so re-publishing it is dropped by the server. */
  eventId: string;
  /** The subject, so a stored envelope says what it is. */
  type: string;
  /** ISO-8601 UTC instant of the state change. */
  occurredAt: string;
  /** Ties together everything one user action caused (HTTP request → events → reactions). */
  correlationId: string;
  /** The eventId (or request id) that directly caused this event. */
  causationId: string;
  payload: P;
}

export interface EventCause {
  correlationId?: string;
  causationId?: string;
}

export function makeEnvelope<T extends string, P>(
  type: T,
  payload: P,
  cause: EventCause = {},
  now = new Date(),
): EventEnvelope<P> & { type: T } {
  const eventId = randomUUID();
  const correlationId = cause.correlationId ?? eventId;
  return {
    eventId,
    type,
    occurredAt: now.toISOString(),
    correlationId,
    causationId: cause.causationId ?? correlationId,
    payload,
  };
}

const UUIDISH = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

/** Structural check of an envelope received from the wire; returns a reason or null. */
export function envelopeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'envelope is not an object';
  const e = value as Record<string, unknown>;
  for (const key of ['eventId', 'type', 'occurredAt', 'correlationId', 'causationId'] as const) {
    if (typeof e[key] !== 'string' || (e[key] as string).length === 0) return `envelope.${key} is missing`;
  }
  if (!UUIDISH.test(e.eventId as string)) return 'envelope.eventId is malformed';
  if (Number.isNaN(Date.parse(e.occurredAt as string))) return 'envelope.occurredAt is not an instant';
  if (typeof e.payload !== 'object' || e.payload === null) return 'envelope.payload is not an object';
  return null;
}
