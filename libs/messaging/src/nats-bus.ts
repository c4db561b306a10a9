import {
  AppError,
  EventEnvelope,
  EventMap,
  EventSubject,
  RpcMap,
  RpcReply,
  RpcSubject,
  Streams,
} from '@sladesk/contracts';
import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager, PubAck, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers as natsHeaders, MsgHdrs, NatsConnection, nanos, NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CAUSATION_HEADER, CORRELATION_HEADER, currentContext } from './context';

export interface StreamSettings {
  /** How long events stay in the stream (consumers that were down longer than this miss them). */
  maxAgeSeconds?: number;
  /** Window in which JetStream drops a re-published `Nats-Msg-Id`. */
  duplicateWindowSeconds?: number;
  /** Copies of every stream in a NATS cluster (R3 on three nodes); default SLADESK_STREAM_REPLICAS, else 1. */
  replicas?: number;
}

/** SLADESK_STREAM_REPLICAS: 1 on a single server, 3 on a three-node cluster (at most 5, JetStream's limit). */
export function streamReplicas(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SLADESK_STREAM_REPLICAS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new Error(`SLADESK_STREAM_REPLICAS must be an integer from 1 to 5, got "${raw}"`);
  return n;
}

const encoder = new TextEncoder();
export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/** The process's one NATS connection: JetStream publishing, stream setup and typed request/reply. */
export class NatsBus {
  readonly js: JetStreamClient;

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {
    this.js = jetstream(nc);
  }

  static async connect(url: string, name: string): Promise<NatsBus> {
    const nc = await connect({
      servers: url.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    return new NatsBus(nc, await jetstreamManager(nc));
  }

  /** Creates or updates the streams; safe to run at every boot of every service. */
  async ensureStreams(settings: StreamSettings = {}): Promise<void> {
    const maxAge = nanos((settings.maxAgeSeconds ?? 30 * 86_400) * 1000);
    const duplicateWindow = nanos((settings.duplicateWindowSeconds ?? 120) * 1000);
    for (const { name, subjects } of Object.values(Streams)) {
      const config = {
        name,
        subjects: [...subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: maxAge,
        duplicate_window: duplicateWindow,
        num_replicas: settings.replicas ?? streamReplicas(),
      };
      try {
        await this.jsm.streams.info(name);
        await this.jsm.streams.update(name, config);
      } catch (e) {
        if (!/stream not found/i.test(String((e as Error).message))) throw e;
        try {
          await this.jsm.streams.add(config);
        } catch (err) {
          // Another service created it between our info and add.
          if (!/already in use|exists/i.test(String((err as Error).message))) throw err;
        }
      }
    }
  }

  /** Publishes an event with `Nats-Msg-Id = eventId` and waits for JetStream to store it. */
  async publishEnvelope(envelope: EventEnvelope): Promise<PubAck> {
    const h = natsHeaders();
    h.set(CORRELATION_HEADER, envelope.correlationId);
    h.set(CAUSATION_HEADER, envelope.causationId);
    return this.js.publish(envelope.type, encodeJson(envelope), { msgID: envelope.eventId, headers: h });
  }

  /** Typed publish: the payload must be the one `EventMap` names for the subject. */
  publish<S extends EventSubject>(envelope: EventEnvelope<EventMap[S]> & { type: S }): Promise<PubAck> {
    return this.publishEnvelope(envelope);
  }

  /**
   * Typed request/reply. An error reply is rethrown as the `AppError` the responder raised; no
   * responder becomes SERVICE.UNAVAILABLE and a timeout SERVICE.TIMEOUT.
   */
  async request<S extends RpcSubject>(
    subject: S,
    body: RpcMap[S]['request'],
    options: { timeoutMs?: number; correlationId?: string } = {},
  ): Promise<RpcMap[S]['response']> {
    const ctx = currentContext();
    const h: MsgHdrs = natsHeaders();
    const correlationId = options.correlationId ?? ctx?.correlationId;
    if (correlationId) h.set(CORRELATION_HEADER, correlationId);
    if (ctx?.causationId) h.set(CAUSATION_HEADER, ctx.causationId);
    let raw;
    try {
      raw = await this.nc.request(subject, encodeJson(body), { timeout: options.timeoutMs ?? 10_000, headers: h });
    } catch (e) {
      throw toAppError(e, subject);
    }
    const reply = raw.json<RpcReply<RpcMap[S]['response']>>();
    if (reply.ok) return reply.data;
    const code = AppError.isCode(reply.error?.code) ? reply.error.code : 'INTERNAL';
    const err = new AppError(code, reply.error?.message ?? 'error', reply.error?.details);
    if (reply.error?.errorId) (err as AppError & { errorId?: string }).errorId = reply.error.errorId;
    throw err;
  }

  /** Plain request to an untyped subject (health pings, metrics). */
  async requestRaw<T>(subject: string, timeoutMs: number): Promise<T> {
    try {
      const m = await this.nc.request(subject, encodeJson({}), { timeout: timeoutMs });
      const reply = m.json<RpcReply<T>>();
      if (!reply.ok) throw new AppError('INTERNAL', reply.error.message);
      return reply.data;
    } catch (e) {
      throw e instanceof AppError ? e : toAppError(e, subject);
    }
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

function toAppError(e: unknown, subject: string): AppError {
  if (e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders())) {
    return new AppError('SERVICE.UNAVAILABLE', `No service answers ${subject}`);
  }
  if (e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)) {
    return new AppError('SERVICE.TIMEOUT', `No answer on ${subject} in time`);
  }
  return new AppError('SERVICE.UNAVAILABLE', `Request on ${subject} failed: ${(e as Error).message}`);
}
