import { CaseEvents, EventEnvelope, EventMap, EventSubject, makeEnvelope, SlaRpc, Streams } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { DeliverPolicy } from '@nats-io/jetstream';
import mongoose from 'mongoose';

export interface Seen {
  subject: string;
  env: EventEnvelope<any>;
  receivedAt: number;
}

/** A private NATS, a fresh database, and helpers to drive the sla service through its contract. */
export async function slaTestEnv(label: string) {
  const nats = await startTestNats();
  const bus = await NatsBus.connect(nats.url, 'test');
  await bus.ensureStreams();
  const mongoUrl = testMongoUrl(label);
  const seen: Seen[] = [];
  bus.nc.subscribe('sladesk.evt.sla.>', {
    callback: (_e, m) => {
      seen.push({ subject: m.subject, env: m.json<EventEnvelope<any>>(), receivedAt: Date.now() });
    },
  });
  const children: ServiceChild[] = [];

  const env = {
    /** Starts an sla process (dist build) and waits until it is ready. */
    async startSla(extra: Record<string, string> = {}): Promise<ServiceChild> {
      const child = spawnService('sla', {
        NATS_URL: nats.url,
        MONGO_URL: mongoUrl,
        SLADESK_ACK_WAIT_MS: '2000',
        SLADESK_SLA_CATCHUP_MAX_MS: '1000',
        SLADESK_SLA_TIMER_LEASE_MS: '2000',
        SLADESK_SLA_TIMER_SLOT_MS: '2000',
        SLADESK_SLA_TIMER_POLL_MS: '200',
        SLADESK_SLA_REGISTRY_REFRESH_MS: '1000',
        ...extra,
      });
      children.push(child);
      await child.ready;
      return child;
    },
    bus,
    seen,
    mongoUrl,
    publish<S extends EventSubject>(type: S, payload: EventMap[S]) {
      return bus.publish(makeEnvelope(type, payload));
    },
    opened(caseId: string, accountId: string, receivedAt: Date, severity: EventMap[typeof CaseEvents.CaseOpened]['severity'] = 'high') {
      return env.publish(CaseEvents.CaseOpened, {
        caseId,
        number: 1,
        accountId,
        channel: 'api',
        severity,
        category: 'technical',
        receivedAt: receivedAt.toISOString(),
      });
    },
    /** An account whose goals are all `goal` on the 24×7 calendar (resolution: six times longer). */
    async shortGoals(accountId: string, goal = 'PT10S', resolution = 'PT60S') {
      const g = { duration: goal, hours: 'emergency' as const, from: 'received' as const };
      const row = { firstResponse: g, nextResponse: g, resolution: { ...g, duration: resolution } };
      return bus.request(SlaRpc.SlaPolicyCreate, {
        accountId,
        name: `short goals for ${accountId}`,
        goals: { critical: row, high: row, normal: row, low: row },
      });
    },
    /** Every SLA event stored in the stream (JetStream's copy: duplicates dropped by Nats-Msg-Id are not there). */
    async stored(): Promise<{ subject: string; env: EventEnvelope<any> }[]> {
      const out: { subject: string; env: EventEnvelope<any> }[] = [];
      const consumer = await bus.js.consumers.get(Streams.Events.name, { filter_subjects: 'sladesk.evt.sla.>', deliver_policy: DeliverPolicy.All });
      const info = await consumer.info();
      let left = info.num_pending;
      while (left > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(left, 500), expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          out.push({ subject: m.subject, env: m.json<EventEnvelope<any>>() });
          got++;
        }
        if (got === 0) break;
        left -= got;
      }
      await consumer.delete().catch(() => undefined);
      return out;
    },
    of(caseId: string, subject?: string) {
      return seen.filter((s) => s.env.payload.caseId === caseId && (!subject || s.subject === subject));
    },
    async cleanup() {
      await Promise.all(children.map((c) => c.kill()));
      await bus.close();
      const db = await mongoose.createConnection(mongoUrl).asPromise();
      await db.dropDatabase();
      await db.close();
      await nats.cleanup();
    },
  };
  return env;
}

/** The next whole second, at least `ms` from now: business time counts whole seconds. */
export const wholeSecondAfter = (ms = 0) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);

/** waitFor, typed for checks that return a value or nothing yet. */
export async function until<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return (await waitFor(check, what, timeoutMs, 20)) as T;
}
