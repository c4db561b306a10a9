import {
  AvailabilityQuery,
  AvailabilityRpc,
  CreateComponentRequest,
  CorrectIncidentCommand,
  CreateIncidentRequest,
  EventEnvelope,
  EventMap,
  EventSubject,
  makeEnvelope,
  Rpc,
  Streams,
} from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';

export interface Seen {
  subject: string;
  env: EventEnvelope<any>;
  receivedAt: number;
}

/**
 * NATS, a fresh database, the sla and escalation processes (dist build): incidents are opened through
 * escalation's requests and reach the availability ledger as its events, as in production.
 */
export async function availabilityStack(label: string, options: { slaEnv?: Record<string, string> } = {}) {
  const nats = await startTestNats();
  const bus = await NatsBus.connect(nats.url, 'test');
  await bus.ensureStreams();
  const mongoUrl = testMongoUrl(label);
  const seen: Seen[] = [];
  for (const subject of ['sladesk.evt.availability.>', 'sladesk.evt.incident.>']) {
    bus.nc.subscribe(subject, {
      callback: (_e, m) => {
        seen.push({ subject: m.subject, env: m.json<EventEnvelope<any>>(), receivedAt: Date.now() });
      },
    });
  }
  const base = { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_ACK_WAIT_MS: '2000' };
  const children: ServiceChild[] = [];
  const spawn = (name: string, env: Record<string, string>) => {
    const child = spawnService(name, { ...base, ...env });
    children.push(child);
    return child;
  };
  const slaEnv = {
    SLADESK_SLA_TIMER_LEASE_MS: '2000',
    SLADESK_SLA_TIMER_SLOT_MS: '2000',
    SLADESK_SLA_TIMER_POLL_MS: '200',
    SLADESK_SLA_CATCHUP_MAX_MS: '1000',
    SLADESK_AVAILABILITY_PROBE_LEASE_MS: '2000',
    SLADESK_AVAILABILITY_PROBE_TICK_MS: '100',
    SLADESK_AVAILABILITY_SETTLE_MS: '1000',
    ...options.slaEnv,
  };
  const escalation = spawn('escalation', { SLADESK_ESCALATION_TICK_MS: '500' });
  let sla = spawn('sla', slaEnv);
  await Promise.all([escalation.ready, sla.ready]);

  const env = {
    bus,
    seen,
    mongoUrl,
    get sla() {
      return sla;
    },
    /** Stops the sla process (SIGKILL by default) and starts a new one. */
    async restartSla(signal: NodeJS.Signals = 'SIGKILL', between?: () => Promise<void>) {
      await sla.kill(signal);
      await between?.();
      sla = spawn('sla', slaEnv);
      await sla.ready;
    },
    async killSla(signal: NodeJS.Signals = 'SIGKILL') {
      await sla.kill(signal);
    },
    async startSla() {
      sla = spawn('sla', slaEnv);
      await sla.ready;
    },
    /** Another sla instance beside the first (same database and NATS). */
    async anotherSla(): Promise<ServiceChild> {
      const other = spawn('sla', slaEnv);
      await other.ready;
      return other;
    },
    component(req: CreateComponentRequest) {
      return bus.request(AvailabilityRpc.ComponentCreate, req);
    },
    incident(req: Partial<CreateIncidentRequest> & { components: string[] }) {
      return bus.request(Rpc.IncidentCreate, { title: 'outage', severity: 'high', ...req });
    },
    /** A past incident, recorded restored in one call (returns once its events are published). */
    async past(components: string[], impactStart: string, restoredAt: string, extra: Partial<CreateIncidentRequest> = {}) {
      const i = await bus.request(Rpc.IncidentCreate, { title: 'outage', severity: 'high', components, impactStart, identifiedAt: impactStart, restoredAt, ...extra });
      await env.published(i.id, i.revision, 'sladesk.evt.incident.restored.v1');
      return i;
    },
    /** A correction (returns once its incident.updated is published). */
    async correct(cmd: CorrectIncidentCommand) {
      const i = await bus.request(Rpc.IncidentCorrect, cmd);
      await env.published(i.id, i.revision, 'sladesk.evt.incident.updated.v1');
      return i;
    },
    published(incidentId: string, revision: number, subject: string) {
      return waitFor(() => seen.some((e) => e.subject === subject && e.env.payload.incidentId === incidentId && e.env.payload.revision === revision), `${subject} of ${incidentId}`, 15_000, 20);
    },
    restore(id: string, restoredAt?: string) {
      return bus.request(Rpc.IncidentRestore, { id, ...(restoredAt ? { restoredAt } : {}) });
    },
    report(q: AvailabilityQuery) {
      return bus.request(AvailabilityRpc.AvailabilityGet, q);
    },
    publish<S extends EventSubject>(type: S, payload: EventMap[S]) {
      return bus.publish(makeEnvelope(type, payload));
    },
    of(subject: string) {
      return seen.filter((s) => s.subject === subject);
    },
    /** Waits until the sla service has handled every incident, maintenance and account event published so far. */
    async settled(timeoutMs = 20_000) {
      const subjects = ['sladesk.evt.incident.opened.v1', 'sladesk.evt.incident.updated.v1', 'sladesk.evt.incident.restored.v1', 'sladesk.evt.maintenance.completed.v1', 'sladesk.evt.account.created.v1'];
      await waitFor(
        async () => {
          // escalation's outbox first: every incident it changed is published
          const infos = await Promise.all(subjects.map((sub) => bus.jsm.consumers.info(Streams.Events.name, consumerName('sla', sub)).catch(() => null)));
          return infos.every((i) => i && i.num_pending === 0 && i.num_ack_pending === 0);
        },
        'the sla service to handle every event',
        timeoutMs,
        100,
      );
    },
    /** Polls `check` (a value or nothing yet). */
    until<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
      return waitFor(check, what, timeoutMs, 50) as Promise<T>;
    },
    async cleanup() {
      if (process.env.SLADESK_TEST_SHOW_OUTPUT) for (const c of children) console.log(c.output().slice(-20_000));
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

export const MIN = 60_000;
export const at = (iso: string) => Date.parse(iso);
