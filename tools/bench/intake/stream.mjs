// What the benchmark learns from JetStream alone: the events of the cases it created (read with an
// ordered consumer from a given stream sequence, so nothing the services consume is disturbed), and
// whether the system is idle (every durable consumer caught up and nothing new published).
export async function connectNats(url) {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager, DeliverPolicy } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url, name: 'sladesk-bench' });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return { nc, js, jsm, DeliverPolicy, close: () => nc.drain() };
}

export async function lastSeq(nats, stream) {
  return (await nats.jsm.streams.info(stream)).state.last_seq;
}

/** Messages stored on a stream (0 if the stream does not exist yet). */
export async function messageCount(nats, stream) {
  try {
    return (await nats.jsm.streams.info(stream)).state.messages;
  } catch {
    return 0;
  }
}

/**
 * Reads every message on `subjects` after sequence `fromSeq`, for as long as it runs, and hands each to
 * `onMessage(subject, envelope, storedAtMs)`. One ordered consumer per subject (a consumer with several
 * filter subjects needs nats-server 2.10). `stop()` ends it.
 */
export async function watch(nats, stream, subjects, fromSeq, onMessage) {
  let seen = 0;
  const readers = await Promise.all(
    subjects.map(async (subject) => {
      const consumer = await nats.js.consumers.get(stream, {
        filter_subjects: subject,
        deliver_policy: nats.DeliverPolicy.StartSequence,
        opt_start_seq: fromSeq + 1,
      });
      const messages = await consumer.consume({ max_messages: 1000 });
      const done = (async () => {
        for await (const m of messages) {
          seen += 1;
          let env;
          try {
            env = m.json();
          } catch {
            continue;
          }
          onMessage(m.subject, env, Math.floor(Number(m.info.timestampNanos) / 1e6), m.seq);
        }
      })();
      return { messages, done };
    }),
  );
  return {
    get seen() {
      return seen;
    },
    async stop() {
      for (const r of readers) {
        await r.messages.close();
        await r.done.catch(() => undefined);
      }
    },
  };
}

/** Messages per subject on the stream. */
export async function subjectCounts(nats, stream) {
  return (await nats.jsm.streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {};
}

/**
 * Waits until the system has no backlog: every durable consumer of the stream has nothing pending or
 * unacknowledged, on `quietChecks` checks 500 ms apart (work that timers start, such as notifications
 * sent by escalation's ticker, may go on). Returns the seconds it took, or null after `timeoutMs`.
 */
export async function settle(nats, stream, { timeoutMs = 60_000, quietChecks = 4, onWait } = {}) {
  const started = Date.now();
  let quiet = 0;
  let lastReport = started;
  let counts = onWait ? await subjectCounts(nats, stream) : undefined;
  for (;;) {
    const consumers = [];
    for await (const c of nats.jsm.consumers.list(stream)) if (c.config.durable_name) consumers.push(c);
    const busy = consumers.filter((c) => c.num_pending > 0 || c.num_ack_pending > 0);
    quiet = busy.length === 0 ? quiet + 1 : 0;
    if (quiet >= quietChecks) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return null;
    if (onWait && Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      const now = await subjectCounts(nats, stream);
      const grew = Object.entries(now)
        .map(([s, n]) => [s, n - (counts?.[s] ?? 0)])
        .filter(([, d]) => d > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([s, d]) => `${s.replace(/^sladesk\.evt\./, '')} +${d}`);
      counts = now;
      const behind = busy.map((c) => `${c.name} ${c.num_pending + c.num_ack_pending}`).join(', ');
      onWait(`behind: ${behind || 'none'}; published in the last 10 s: ${grew.join(', ') || 'nothing'}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
