import {
  AppError,
  deadLetterSubject,
  ErrorBody,
  envelopeProblem,
  EventEnvelope,
  EventPayloadClasses,
  RpcReply,
  RpcRequestClasses,
  Streams,
  validatePlain,
} from '@sladesk/contracts';
import { isDatabaseUnavailable } from '@sladesk/persistence';
import { AckPolicy, ConsumerConfig, ConsumerMessages, DeliverPolicy, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, Msg, nanos, Subscription } from '@nats-io/nats-core';
import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { CAUSATION_HEADER, CORRELATION_HEADER, runInContext } from './context';
import { DeadLetterStore } from './dead-letters';
import { Metrics } from './metrics';
import { encodeJson, NatsBus } from './nats-bus';

export interface JetStreamServerOptions {
  /** Service name: the queue group for requests and the prefix of durable consumer names. */
  service: string;
  /** Deliveries before a failing event goes to the dead-letter subject; default 5. */
  maxDeliver?: number;
  /** Delay before redelivering a failed event: base × 2^(attempt-1), capped; default 1000 ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long JetStream waits for an ack before redelivering (e.g. after a crash); default 30 s. */
  ackWaitMs?: number;
  /** Messages pulled ahead per consumer; default 64. */
  prefetch?: number;
  /** Deliveries of one consumer handled at once (in order within one case or account); default 8. */
  concurrency?: number;
}

/** Handed to event handlers as the context (`@Ctx()`). */
export class JetStreamContext extends BaseRpcContext<[JsMsg]> {
  get message(): JsMsg {
    return this.args[0];
  }
  get deliveryCount(): number {
    return this.message.info.deliveryCount;
  }
}

/** Handed to request handlers as the context (`@Ctx()`). */
export class NatsRequestContext extends BaseRpcContext<[Msg]> {}

/** Durable consumer name for a service's handler of a subject (NATS names allow no dots). */
export const consumerName = (service: string, subject: string): string =>
  `${service}__${subject.replace(/[.*>]/g, '_')}`;

const isRequestSubject = (pattern: string): boolean => pattern.startsWith('sladesk.rpc.');

/**
 * Nest transport over NATS: `@MessagePattern('sladesk.rpc…')` handlers answer core-NATS requests in
 * a queue group; `@EventPattern('sladesk.evt…')` handlers read a durable JetStream pull consumer with
 * explicit acks, nak + exponential backoff on failure, and a dead letter after `maxDeliver` attempts.
 * Malformed messages go to the dead letters at once instead of crashing or looping.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(JetStreamServer.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly consumers: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private deadLetters?: DeadLetterStore;
  private closing = false;

  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
    private readonly options: JetStreamServerOptions,
  ) {
    super();
  }

  /** Where dead letters are kept; set before `listen` (the store needs the app's Mongo connection). */
  useDeadLetterStore(store: DeadLetterStore): void {
    this.deadLetters = store;
  }

  on(): never {
    throw new Error('JetStreamServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      for (const [pattern, handler] of this.getHandlers()) {
        if (handler.isEventHandler) await this.startConsumer(pattern, handler);
        else if (isRequestSubject(pattern)) this.startResponder(pattern, handler);
        else throw new Error(`Handler pattern "${pattern}" is neither sladesk.rpc.* nor an event`);
      }
      callback();
    } catch (e) {
      callback(e);
    }
  }

  /** Stops taking new messages, lets the ones in hand finish (they are acked), then returns. */
  async close(): Promise<void> {
    this.closing = true;
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const c of this.consumers) c.stop();
    await Promise.allSettled(this.loops);
  }

  // ---- requests -------------------------------------------------------------------------------

  private startResponder(subject: string, handler: MessageHandler): void {
    const sub = this.bus.nc.subscribe(subject, {
      queue: this.options.service,
      callback: (err, msg) => {
        if (err) return this.logger.error(`subscription ${subject} failed: ${err.message}`);
        void this.answer(subject, handler, msg);
      },
    });
    this.subscriptions.push(sub);
  }

  private async answer(subject: string, handler: MessageHandler, msg: Msg): Promise<void> {
    let reply: RpcReply<unknown>;
    try {
      reply = await this.replyTo(subject, handler, msg);
    } catch (e) {
      reply = { ok: false, error: errorBodyOf(e, this.logger) };
    }
    this.metrics.messagesHandled.inc({ subject, outcome: reply.ok ? 'reply' : 'error_reply' });
    if (!msg.reply) return;
    // Whatever happens here, the process lives: an answer too big for NATS becomes a coded error.
    try {
      let data = encodeJson(reply);
      const max = this.bus.nc.info?.max_payload ?? 1024 * 1024;
      if (data.length > max) {
        this.metrics.oversizedReplies.inc({ subject });
        this.logger.warn(`reply on ${subject} is ${data.length} bytes, over the NATS max_payload of ${max}`);
        data = encodeJson({
          ok: false,
          error: { code: 'REPLY.TOO_LARGE', message: `The answer (${data.length} bytes) exceeds what NATS carries (${max} bytes); ask for a smaller page`, details: { bytes: data.length, maxPayload: max } },
        } satisfies RpcReply<unknown>);
      }
      msg.respond(data);
    } catch (e) {
      this.logger.error(`could not answer on ${subject}: ${(e as Error)?.message ?? e}`);
    }
  }

  private replyTo(subject: string, handler: MessageHandler, msg: Msg): Promise<RpcReply<unknown>> {
    const correlationId = msg.headers?.get(CORRELATION_HEADER) || randomUUID();
    const causationId = msg.headers?.get(CAUSATION_HEADER) || correlationId;
    return runInContext({ correlationId, causationId }, async (): Promise<RpcReply<unknown>> => {
      let body: unknown;
      try {
        body = msg.data.length ? msg.json() : {};
      } catch {
        return { ok: false, error: { code: 'REQUEST.MALFORMED', message: 'request body is not JSON' } };
      }
      const cls = (RpcRequestClasses as Record<string, (new () => object) | undefined>)[subject];
      if (cls) {
        const checked = validatePlain(cls, body);
        if (!checked.ok) {
          return { ok: false, error: { code: 'VALIDATION.FAILED', message: 'invalid request', details: checked.problems } };
        }
        body = checked.value;
      }
      const end = this.metrics.handlerSeconds.startTimer({ subject });
      try {
        const data = await lastValueFrom(this.transformToObservable(await handler(body, new NatsRequestContext([msg]))), {
          defaultValue: null,
        });
        return { ok: true, data };
      } catch (e) {
        return { ok: false, error: errorBodyOf(e, this.logger) };
      } finally {
        end();
      }
    });
  }

  // ---- events ---------------------------------------------------------------------------------

  private async startConsumer(subject: string, handler: MessageHandler): Promise<void> {
    const durable = consumerName(this.options.service, subject);
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      max_deliver: this.options.maxDeliver ?? 5,
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      max_ack_pending: 1000,
    };
    const stream = Streams.Events.name;
    try {
      await this.bus.jsm.consumers.info(stream, durable);
      await this.bus.jsm.consumers.update(stream, durable, config);
    } catch (e) {
      if (!/consumer not found/i.test(String((e as Error).message))) throw e;
      await this.bus.jsm.consumers.add(stream, config);
    }
    const consumer = await this.bus.js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: this.options.prefetch ?? 64 });
    this.consumers.push(messages);
    this.loops.push(
      this.runLanes(messages, (m) => this.handleDelivery(durable, subject, handler, m)).catch((e) =>
        this.logger.error(`consumer ${durable} stopped: ${(e as Error).message}`),
      ),
    );
  }

  /**
   * Handles deliveries in parallel across cases (or accounts) and in arrival order within one, up to
   * `concurrency` at a time: one slow case does not hold up the others.
   */
  private async runLanes(messages: ConsumerMessages, handle: (m: JsMsg) => Promise<void>): Promise<void> {
    const limit = this.options.concurrency ?? 8;
    const lanes = new Map<string, Promise<void>>();
    const active = new Set<Promise<void>>();
    for await (const m of messages) {
      while (active.size >= limit) await Promise.race(active);
      const key = laneOf(m);
      const previous = lanes.get(key) ?? Promise.resolve();
      const run: Promise<void> = previous.then(() => handle(m)).finally(() => {
        active.delete(run);
        if (lanes.get(key) === run) lanes.delete(key);
      });
      lanes.set(key, run);
      active.add(run);
      if (this.closing) break;
    }
    await Promise.allSettled([...active]);
  }

  private async handleDelivery(consumer: string, subject: string, handler: MessageHandler, m: JsMsg): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = m.json<EventEnvelope>();
    } catch {
      return this.deadLetter(consumer, m, 'payload is not JSON');
    }
    const problem = envelopeProblem(envelope);
    if (problem) return this.deadLetter(consumer, m, problem);
    const cls = (EventPayloadClasses as Record<string, (new () => object) | undefined>)[envelope.type];
    if (cls) {
      // Tolerant reader: fields a newer writer added are dropped, not a reason to dead-letter.
      const checked = validatePlain(cls, envelope.payload, { unknownFields: 'strip' });
      if (!checked.ok) return this.deadLetter(consumer, m, `invalid payload: ${JSON.stringify(checked.problems)}`, envelope);
      envelope = { ...envelope, payload: { ...checked.value } };
    }

    const end = this.metrics.handlerSeconds.startTimer({ subject });
    // A handler still at work tells JetStream so, instead of being redelivered elsewhere meanwhile.
    const ackWait = this.options.ackWaitMs ?? 30_000;
    const keepAlive = setInterval(() => m.working(), Math.max(50, Math.floor(ackWait / 3)));
    try {
      await runInContext({ correlationId: envelope.correlationId, causationId: envelope.eventId }, async () => {
        await lastValueFrom(this.transformToObservable(await handler(envelope, new JetStreamContext([m]))), {
          defaultValue: undefined,
        });
      });
      m.ack();
      this.metrics.messagesHandled.inc({ subject, outcome: 'ack' });
    } catch (e) {
      const attempt = m.info.deliveryCount;
      const reason = (e as { message?: string })?.message ?? String(e);
      if (attempt >= (this.options.maxDeliver ?? 5)) {
        return this.deadLetter(consumer, m, `handler failed ${attempt} times: ${reason}`, envelope);
      }
      const base = this.options.backoffBaseMs ?? 1000;
      const delay = Math.min(base * 2 ** (attempt - 1), this.options.backoffMaxMs ?? 60_000);
      this.logger.warn(`${consumer} attempt ${attempt} of event ${envelope.eventId} failed (${reason}); retry in ${delay} ms`);
      m.nak(delay);
      this.metrics.messagesHandled.inc({ subject, outcome: 'nak' });
    } finally {
      clearInterval(keepAlive);
      end();
    }
  }

  private async deadLetter(consumer: string, m: JsMsg, reason: string, envelope?: EventEnvelope): Promise<void> {
    const headers: Record<string, string[]> = {};
    for (const [k, v] of m.headers ?? []) headers[k] = v;
    const letter = {
      consumer,
      subject: m.subject,
      streamSequence: m.seq,
      deliveries: m.info.deliveryCount,
      reason,
      data: m.string(),
      headers,
      eventId: envelope?.eventId,
    };
    try {
      // Kept in MongoDB first: if we die before `term`, the message comes back and is recorded once.
      await this.deadLetters?.record(letter);
      const h = natsHeaders();
      h.set('Sladesk-Dead-Reason', reason.slice(0, 1000));
      h.set('Sladesk-Original-Subject', m.subject);
      await this.bus.js.publish(deadLetterSubject(consumer, m.subject), m.data, {
        msgID: `dlq:${consumer}:${m.seq}`,
        headers: h,
      });
      m.term(reason.slice(0, 200));
      this.metrics.deadLetters.inc({ subject: m.subject, consumer });
      this.metrics.messagesHandled.inc({ subject: m.subject, outcome: 'dead_letter' });
      this.logger.error(`${consumer}: message ${m.seq} dead-lettered: ${reason}`);
    } catch (e) {
      this.logger.error(`${consumer}: could not dead-letter message ${m.seq}: ${(e as Error).message}`);
      m.nak(5000);
    }
  }
}

/** Events of one case (else one account) are handled in order; others in parallel. */
function laneOf(m: JsMsg): string {
  try {
    const p = (m.json<EventEnvelope>().payload ?? {}) as Record<string, unknown>;
    for (const k of ['caseId', 'accountId', 'incidentId', 'escalationId']) {
      if (typeof p[k] === 'string') return `${k}:${p[k]}`;
    }
  } catch {
    // not JSON: handled (dead-lettered) alone
  }
  return `seq:${m.seq}`;
}

/** Turns anything a handler threw into the wire error: codes pass, the rest is hidden behind an errorId. */
export function errorBodyOf(e: unknown, logger: Logger): ErrorBody {
  const obj = e as { code?: unknown; message?: unknown; details?: unknown; error?: unknown };
  if (e instanceof AppError) return e.toBody();
  if (obj && AppError.isCode(obj.code)) {
    return { code: obj.code, message: String(obj.message ?? obj.code), details: obj.details };
  }
  if (isDatabaseUnavailable(e)) {
    logger.warn(`database unavailable: ${(e as Error)?.message ?? String(e)}`);
    return { code: 'SERVICE.UNAVAILABLE', message: 'The database is unavailable; retry the request (with the same Idempotency-Key)' };
  }
  const errorId = randomUUID();
  logger.error(`unexpected error ${errorId}: ${(e as Error)?.stack ?? String(e)}`);
  return { code: 'INTERNAL', message: 'Internal error', errorId };
}
