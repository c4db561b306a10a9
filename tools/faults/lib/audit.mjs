// After a burst: wait until the system is idle, then count, for every request, what the system did
// with it — the case, its events, its timeline entries, its notifications and mails — and classify
// the request as ok, lost, duplicated, unknown or refused.
//
// What the audit relies on besides the REST API (confirmed in the code; update here when it changes):
//  - intake `cases`: `idempotencyScope = <accountId>:<Idempotency-Key>` (create-case.service.ts)
//  - escalation's notifications are outbound deliveries, `outbound_deliveries` with `topic: 'escalation'`:
//    `_id`, `state`, `refs.caseId`, `refs.escalationId` (apps/escalation/src/notifications/notification.schema.ts),
//    mail header X-Sladesk-Notification-Id (same file, `headersOf`)
//  - reporting `rm_case_counts_daily.opened` (case-counts.schema.ts)
//  - every outbox writer marks pending documents with `outboxPendingSince` (libs/messaging/src/outbox.ts)
import { ADMIN_KEY, log, sleep } from './system.mjs';
import { consumerLag, lastSeq, readStream } from './nats.mjs';

export const SUBJECT = {
  opened: 'sladesk.evt.case.opened.v1',
  clockStarted: 'sladesk.evt.sla.clock-started.v1',
  warning: 'sladesk.evt.sla.warning.v1',
  breached: 'sladesk.evt.sla.breached.v1',
  escalated: 'sladesk.evt.escalation.escalated.v1',
  notificationSent: 'sladesk.evt.notification.sent.v1',
  notificationFailed: 'sladesk.evt.notification.failed.v1',
};

async function mongoDb(url) {
  const mongoose = (await import('mongoose')).default;
  const conn = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 30_000 }).asPromise();
  return { db: conn.db, close: () => conn.close() };
}

/** Documents whose outbox still holds events (a crash left them for the sweep), over every collection. */
async function pendingOutboxes(db) {
  let n = 0;
  for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
    n += await db.collection(c.name).countDocuments({ outboxPendingSince: { $exists: true } });
  }
  return n;
}

/**
 * Waits until nothing moves: every durable consumer caught up, the stream's last sequence still, no
 * outbox pending, no notification pending, on `quietChecks` consecutive checks. Returns seconds, or
 * null after `timeoutMs` (the audit then counts what is missing as lost).
 */
export async function settle({ nats, mongoUrl, timeoutMs = 300_000, quietChecks = 3, everyMs = 2000 }) {
  const { db, close } = await mongoDb(mongoUrl);
  const t0 = Date.now();
  let quiet = 0;
  let last = -1;
  let lastReport = 0;
  try {
    for (;;) {
      let state;
      try {
        const lag = await consumerLag(nats);
        const seq = await lastSeq(nats);
        const outbox = await pendingOutboxes(db);
        const notifications = await db.collection('outbound_deliveries').countDocuments({ topic: 'escalation', state: 'pending' });
        const behind = lag.filter((c) => c.pending + c.ackPending > 0);
        state = { behind, outbox, notifications, moved: seq !== last };
        last = seq;
      } catch (e) {
        state = { error: e.message };
      }
      const idle =
        !state.error &&
        state.behind.length === 0 &&
        state.outbox === 0 &&
        state.notifications === 0 &&
        !state.moved;
      quiet = idle ? quiet + 1 : 0;
      if (quiet >= quietChecks) return (Date.now() - t0) / 1000;
      if (Date.now() - t0 > timeoutMs) {
        log(`not idle after ${timeoutMs / 1000} s: ${JSON.stringify(state).slice(0, 400)}`);
        return null;
      }
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        const behind = state.behind
          ?.map((c) => `${c.name.replace(/__sladesk_evt_?/, ':')} ${c.pending + c.ackPending}`)
          .join(', ');
        log(
          `settling: ${state.error ?? `consumers behind: ${behind || 'none'}; outboxes pending ${state.outbox}; notifications pending ${state.notifications}`}`,
        );
      }
      await sleep(everyMs);
    }
  } finally {
    await close();
  }
}

const inc = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const group = (items, keyOf) => {
  const m = new Map();
  for (const it of items) {
    const k = keyOf(it);
    if (k === undefined) continue;
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(it);
  }
  return m;
};

/** The whole timeline of a case over REST (pages of 200), with the chain verified. */
async function timelineOf(gateway, caseId) {
  const entries = [];
  let cursor;
  let verification;
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({
      limit: '200',
      ...(page === 0 ? { verify: 'true' } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const res = await fetch(`${gateway}/v1/cases/${caseId}/timeline?${q}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`timeline of ${caseId}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    entries.push(...body.entries);
    verification ??= body.verification;
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return { entries, intact: verification?.intact !== false };
}

async function pool(items, concurrency, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (i < items.length) {
        const item = items[i++];
        await fn(item);
      }
    }),
  );
}

/**
 * Counts what became of every request of `bursts` (after `settle`). Returns the per-request outcome
 * counts and, per kind of record, how many were missing or duplicated.
 */
export async function audit({ nats, mongoUrl, mail, gateway, bursts, settled = true }) {
  const requests = bursts.flatMap((b) => b.requests);
  const { db, close } = await mongoDb(mongoUrl);
  let cases, notifications, reported;
  try {
    cases = await db
      .collection('cases')
      .find({}, { projection: { _id: 1, idempotencyScope: 1, accountId: 1 } })
      .toArray();
    notifications = (
      await db
        .collection('outbound_deliveries')
        .find({ topic: 'escalation' }, { projection: { _id: 1, refs: 1, state: 1, attempts: 1 } })
        .toArray()
    ).map((d) => ({ _id: d._id, caseId: d.refs?.caseId, escalationId: d.refs?.escalationId, state: d.state, attempts: d.attempts }));
    reported = (
      await db
        .collection('rm_case_counts_daily')
        .find({}, { projection: { opened: 1 } })
        .toArray()
    ).reduce((n, d) => n + (d.opened ?? 0), 0);
  } finally {
    await close();
  }
  const messages = await readStream(nats);

  // Events: stored twice under one message id (JetStream dedup failed), or one fact under two event ids.
  const byMsgId = new Map();
  for (const m of messages) if (m.msgId) inc(byMsgId, m.msgId);
  const eventsStoredTwice = [...byMsgId.values()].filter((n) => n > 1).length;
  const events = messages.filter((m) => m.envelope?.payload?.caseId);
  const eventsOfCase = group(events, (m) => m.envelope.payload.caseId);
  const casesOfScope = group(cases, (c) => c.idempotencyScope);
  const notificationsOfCase = group(notifications, (n) => n.caseId);

  const kinds = ['cases', 'events', 'timeline', 'notifications', 'mails'];
  const lostOf = Object.fromEntries(kinds.map((k) => [k, 0]));
  const duplicatedOf = Object.fromEntries(kinds.map((k) => [k, 0]));
  const outcome = { ok: 0, lost: 0, duplicated: 0, unknown: 0, refused: 0 };
  const examples = { lost: [], duplicated: [], unknown: [], refused: [] };
  let brokenChains = 0;
  let notSettled = 0;
  let mailsResent = 0;
  const lostDetail = new Map();

  const timelines = new Map();
  const accepted = requests.filter((r) => r.caseId);
  await pool(accepted, 8, async (r) => {
    try {
      timelines.set(r.caseId, await timelineOf(gateway, r.caseId));
    } catch (e) {
      timelines.set(r.caseId, { error: e.message });
    }
  });

  for (const r of requests) {
    const scope = `${r.body.accountId}:${r.key}`;
    const found = casesOfScope.get(scope) ?? [];
    if (!r.caseId) {
      // Never accepted: the client does not know. Refused is fine when nothing was recorded.
      const kind = found.length
        ? 'unknown'
        : r.refused || r.gaveUp?.match(/^5\d\d [A-Z]/)
          ? 'refused'
          : 'unknown';
      outcome[kind] += 1;
      if (examples[kind].length < 5)
        examples[kind].push({ key: r.key, answers: r.answers.slice(-5), casesFound: found.length });
      continue;
    }
    const lost = new Set();
    const dup = new Set();
    const detail = new Set(); // what exactly is missing
    const problems = [];
    // cases: exactly one for the key, and it is the one the client was told
    if (found.length === 0) lost.add('cases');
    if (found.length > 1 || r.replayedCaseId) dup.add('cases');
    if (found.length && !found.some((c) => c._id === r.caseId)) problems.push('answered id not stored');

    // events of the case: one fact, one event id
    const evs = eventsOfCase.get(r.caseId) ?? [];
    const distinct = (subject, keyOf) => {
      const m = group(
        evs.filter((e) => e.subject === subject),
        keyOf,
      );
      const counts = [...m.values()].map((list) => new Set(list.map((e) => e.envelope.eventId)).size);
      return { facts: m.size, duplicated: counts.some((n) => n > 1) };
    };
    const opened = distinct(SUBJECT.opened, () => 'opened');
    const clocks = distinct(
      SUBJECT.clockStarted,
      (e) => `${e.envelope.payload.clock}:${e.envelope.payload.cycle}`,
    );
    const escalated = distinct(
      SUBJECT.escalated,
      (e) => `${e.envelope.payload.escalationId}:${e.envelope.payload.repeat}`,
    );
    const tier1 = distinct(SUBJECT.escalated, (e) =>
      e.envelope.payload.reason === 'new_case' && e.envelope.payload.repeat === 0 ? 'tier1' : undefined,
    );
    const sent = distinct(SUBJECT.notificationSent, (e) => e.envelope.payload.notificationId);
    if (!opened.facts) detail.add('events:case.opened');
    if (!clocks.facts) detail.add('events:sla.clock-started');
    if (!tier1.facts) detail.add('events:escalation.escalated(tier1)');
    if (!opened.facts || !clocks.facts || !tier1.facts) lost.add('events');
    if (opened.duplicated || clocks.duplicated || escalated.duplicated || tier1.duplicated || sent.duplicated)
      dup.add('events');

    // notifications of the case: each sent once, mailed once
    const ns = notificationsOfCase.get(r.caseId) ?? [];
    if (!ns.length || ns.some((n) => n.state !== 'sent')) lost.add('notifications');
    const sentIds = new Set(
      evs.filter((e) => e.subject === SUBJECT.notificationSent).map((e) => e.envelope.payload.notificationId),
    );
    if (ns.some((n) => n.state === 'sent' && !sentIds.has(n._id))) {
      lost.add('events');
      detail.add('events:notification.sent');
    }
    for (const n of ns) {
      const mails = mail.byNotification.get(n._id) ?? 0;
      if (n.state === 'sent' && mails === 0) lost.add('mails');
      // More than one copy: under one Message-ID it is the same message handed to SMTP again (outbound is
      // at least once: a sender killed after the server accepted it and before the outcome was recorded
      // sends it again, and mail clients show it once); under several it is a second mail.
      if (mails > 1 && mail.messageIds?.get(n._id)?.size === 1) mailsResent += mails - 1;
      else if (mails > 1) dup.add('mails');
    }

    // timeline: one `opened`; one `escalation` entry per escalated event; one delivered `notification` per sent one
    const t = timelines.get(r.caseId);
    if (!t || t.error) {
      lost.add('timeline');
      problems.push(t?.error ?? 'no timeline');
    } else {
      if (!t.intact) {
        brokenChains += 1;
        problems.push('hash chain broken');
      }
      const entries = t.entries;
      const openedEntries = entries.filter((e) => e.kind === 'opened').length;
      if (openedEntries === 0) lost.add('timeline');
      if (openedEntries > 1) dup.add('timeline');
      const escEntries = group(
        entries.filter((e) => e.kind === 'escalation'),
        (e) => `${e.data?.escalationId}:${e.data?.repeat}`,
      );
      if ([...escEntries.values()].some((l) => l.length > 1)) dup.add('timeline');
      if (escEntries.size < escalated.facts) lost.add('timeline');
      const notEntries = group(
        entries.filter((e) => e.kind === 'notification' && e.data?.delivered),
        (e) => e.data?.notificationId,
      );
      if ([...notEntries.values()].some((l) => l.length > 1)) dup.add('timeline');
      if ([...sentIds].some((id) => !notEntries.has(id))) lost.add('timeline');
    }

    for (const k of lost) lostOf[k] += 1;
    for (const k of [...lost].filter((x) => x !== 'events').concat([...detail])) inc(lostDetail, k);
    for (const k of dup) duplicatedOf[k] += 1;
    // Missing is only lost once the system settled; before that it may still be on its way.
    const missing = lost.size || problems.length;
    const kind = dup.size ? 'duplicated' : missing ? (settled ? 'lost' : 'unknown') : 'ok';
    if (kind === 'unknown') notSettled += 1;
    outcome[kind] += 1;
    if (kind !== 'ok' && examples[kind].length < 5) {
      examples[kind].push({
        key: r.key,
        caseId: r.caseId,
        lost: [...lost],
        missing: [...detail],
        duplicated: [...dup],
        problems,
        answers: r.answers.slice(-5),
      });
    }
  }

  const distinctCases = new Set(
    requests.map((r) => casesOfScope.get(`${r.body.accountId}:${r.key}`)?.[0]?._id).filter(Boolean),
  ).size;
  return {
    requests: requests.length,
    ...outcome,
    settled,
    unknownBecauseNotSettled: notSettled,
    lostOf,
    lostDetail: Object.fromEntries(lostDetail),
    duplicatedOf,
    eventsStoredTwice,
    brokenChains,
    casesStored: cases.length,
    reportedOpened: reported,
    reportingMatches: reported === cases.length,
    distinctCases,
    mailsReceived: mail.received,
    mailsResent,
    streamMessages: messages.length,
    examples: Object.fromEntries(Object.entries(examples).filter(([, v]) => v.length)),
  };
}
