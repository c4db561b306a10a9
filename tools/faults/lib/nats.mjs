// What the suite reads from NATS besides the REST API: the whole event stream (to count events per
// case), the durable consumers' lag, dead letters, and which instances answer a service's ping.
export const STREAM = 'SLADESK_EVENTS'; // libs/contracts/src/infra.ts Streams.Events
export const DLQ_STREAM = 'SLADESK_DLQ'; // Streams.DeadLetters
export const pingSubject = (service) => `sladesk.rpc.${service}.ping.v1`; // libs/contracts/src/infra.ts

export async function connectNats(url) {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager, DeliverPolicy, AckPolicy } = await import('@nats-io/jetstream');
  const nc = await connect({
    servers: url.split(','),
    name: 'sladesk-faults',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return { nc, js, jsm, DeliverPolicy, AckPolicy, close: () => nc.drain() };
}

/** Retries a JetStream API call through a restart or leader election. */
export async function retrying(fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Every durable consumer of a stream with what it has not yet handled (pending + unacknowledged). */
export async function consumerLag(nats, stream = STREAM) {
  return retrying(async () => {
    const out = [];
    for await (const c of nats.jsm.consumers.list(stream)) {
      if (c.config.durable_name)
        out.push({
          name: c.name,
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
        });
    }
    return out;
  });
}

export const lastSeq = (nats, stream = STREAM) =>
  retrying(async () => (await nats.jsm.streams.info(stream)).state.last_seq);

/**
 * Every message of the stream (from `fromSeq`), read with an ordered consumer so the services' own
 * consumers are untouched: [{ seq, subject, msgId, envelope | undefined, storedAtMs }].
 */
export async function readStream(nats, stream = STREAM, fromSeq = 1) {
  const last = await lastSeq(nats, stream);
  const out = [];
  if (last < fromSeq) return out;
  const consumer = await retrying(() =>
    nats.js.consumers.get(stream, {
      deliver_policy: nats.DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    }),
  );
  const messages = await consumer.consume({ max_messages: 2000 });
  for await (const m of messages) {
    let envelope;
    try {
      envelope = m.json();
    } catch {
      envelope = undefined;
    }
    out.push({
      seq: m.seq,
      subject: m.subject,
      msgId: m.headers?.get('Nats-Msg-Id') || undefined,
      envelope,
      storedAtMs: Math.floor(Number(m.info.timestampNanos) / 1e6),
    });
    if (m.seq >= last) break;
  }
  await messages.close();
  return out;
}

/** The instance ids answering `service`'s ping (queue group: asked `tries` times). */
export async function answeringInstances(nats, service, tries = 24) {
  const ids = new Set();
  const down = [];
  for (let i = 0; i < tries; i++) {
    try {
      const m = await nats.nc.request(pingSubject(service), new TextEncoder().encode('{}'), {
        timeout: 2000,
      });
      const reply = m.json();
      if (reply.ok) ids.add(`${reply.data.instanceId}:${reply.data.status}`);
    } catch (e) {
      down.push(e.message);
    }
  }
  return { ids: [...ids].sort(), failures: down.length };
}
