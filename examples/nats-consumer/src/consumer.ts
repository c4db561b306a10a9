import 'reflect-metadata'; // the contract classes' decorators need it, before @sladesk/contracts loads
import { AckPolicy, ConsumerMessages, DeliverPolicy, JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsConnection, nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { envelopeProblem, EventEnvelope, EventMap, EventPayloadClasses, EventSubject, Streams, validatePlain } from '@sladesk/contracts';

/** One handler per subject you care about; each receives the envelope with that subject's payload type. */
export type EventHandlers = { [S in EventSubject]?: (event: EventEnvelope<EventMap[S]> & { type: S }) => Promise<void> | void };

export interface ConsumerOptions {
  /** NATS server(s), comma-separated. */
  natsUrl: string;
  /** The durable consumer's name: keep it stable, JetStream remembers what this name has acknowledged. */
  durable: string;
  handlers: EventHandlers;
  /** Deliveries of an event whose handler throws before JetStream gives up on it (default 5). */
  maxDeliver?: number;
  /** First retry delay after a handler threw, doubling per attempt (default 1 s). */
  retryMs?: number;
  log?: (line: string) => void;
}

export interface RunningConsumer {
  nc: NatsConnection;
  /** Stops fetching, lets the message in hand finish, closes the connection. The consumer stays on the server. */
  stop(): Promise<void>;
}

/**
 * A durable JetStream pull consumer of SLA Desk events on stream SLADESK_EVENTS, filtered to the
 * subjects of `handlers`. Explicit acks: an event is acknowledged only after its handler returned, so a
 * crash means a redelivery, never a loss; a handler that throws is retried with backoff up to
 * `maxDeliver` times. Delivery is at least once: make handlers idempotent (keep the `eventId`s you
 * applied with the effect). Payloads are checked against the contract classes of @sladesk/contracts,
 * tolerating fields a newer SLA Desk adds.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const subjects = Object.keys(options.handlers) as EventSubject[];
  if (!subjects.length) throw new Error('give at least one handler');
  const nc = await connect({ servers: options.natsUrl.split(','), name: options.durable });
  const jsm = await jetstreamManager(nc);
  const config = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    // A new consumer starts with the stream's oldest event; DeliverPolicy.New would skip history.
    deliver_policy: DeliverPolicy.All,
    filter_subjects: subjects,
    max_deliver: options.maxDeliver ?? 5,
    ack_wait: nanos(30_000),
  };
  try {
    await jsm.consumers.info(Streams.Events.name, options.durable);
    await jsm.consumers.update(Streams.Events.name, options.durable, { filter_subjects: subjects, max_deliver: config.max_deliver });
  } catch (e) {
    if (!/consumer not found/i.test((e as Error).message)) throw e;
    await jsm.consumers.add(Streams.Events.name, config);
  }
  const consumer = await jetstream(nc).consumers.get(Streams.Events.name, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });

  const handle = async (m: JsMsg): Promise<void> => {
    let envelope: EventEnvelope;
    try {
      envelope = m.json<EventEnvelope>();
    } catch {
      log(`${m.subject} #${m.seq}: not JSON; dropped`);
      return m.term();
    }
    const problem = envelopeProblem(envelope);
    const cls = EventPayloadClasses[m.subject as EventSubject] as (new () => object) | undefined;
    const checked = cls && !problem ? validatePlain(cls, envelope.payload, { unknownFields: 'strip' }) : undefined;
    if (problem || (checked && !checked.ok)) {
      log(`${m.subject} #${m.seq}: ${problem ?? JSON.stringify(checked && !checked.ok && checked.problems)}; dropped`);
      return m.term();
    }
    const handler = options.handlers[m.subject as EventSubject] as ((e: EventEnvelope) => Promise<void> | void) | undefined;
    try {
      await handler?.({ ...envelope, payload: checked?.ok ? { ...checked.value } : envelope.payload });
      m.ack();
    } catch (e) {
      const delay = (options.retryMs ?? 1000) * 2 ** (m.info.deliveryCount - 1);
      log(`${m.subject} event ${envelope.eventId} failed (attempt ${m.info.deliveryCount}): ${(e as Error).message}; retry in ${delay} ms`);
      m.nak(delay);
    }
  };
  const loop = (async () => {
    for await (const m of messages) await handle(m);
  })();

  return {
    nc,
    async stop() {
      await messages.close();
      await loop;
      await nc.drain();
    },
  };
}
