import { AppError, ProbeResultView, ProbeView, Rpc } from '@sladesk/contracts';
import { parseIsoDuration } from '@sladesk/business-time';
import { NatsBus, SingleFlight } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { connect } from 'node:net';
import { Lease, TimerStore } from '../timers/timer-store';
import { ComponentDoc, ProbeConfig } from './components';
import { ComponentsService } from './components.service';

export interface CheckResult {
  ok: boolean;
  ms: number;
  status?: number;
  error?: string;
}

/** One HTTP(S) check: a status in `expectStatus` (default 200–399) before the timeout. */
export async function httpCheck(p: ProbeConfig, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  try {
    const res = await fetch(p.url!, { method: p.method ?? 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    const expected = p.expectStatus?.length ? p.expectStatus.includes(res.status) : res.status >= 200 && res.status < 400;
    return { ok: expected, ms: Math.round(performance.now() - started), status: res.status, ...(expected ? {} : { error: `status ${res.status}` }) };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, ms: Math.round(performance.now() - started), error: reason };
  }
}

/** One TCP check: the connection is accepted before the timeout. */
export function tcpCheck(p: ProbeConfig, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: p.host!, port: p.port! });
    const done = (r: Omit<CheckResult, 'ms'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...r, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => done({ ok: false, error: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (e: Error & { code?: string }) => done({ ok: false, error: e.code ?? e.message }));
  });
}

/** A probe's streak, kept so that the next lease holder carries on where the last one stopped. */
interface ProbeStateDoc {
  _id: string;
  failures: number;
  successes: number;
  firstFailureAt?: number;
  firstSuccessAt?: number;
  /** The incident this probe opened and has not restored yet. */
  incidentId?: string;
  lastCheckAt?: number;
  lastOk?: boolean;
}

/** Evidence: every result, one document per probe and hour (`<componentId>:<probeId>:<YYYY-MM-DDTHH>`). */
interface ResultsDoc {
  _id: string;
  r: { t: number; ok: boolean; ms: number; status?: number; error?: string }[];
}

const stateId = (c: string, p: string) => `${c}:${p}`;
const hourOf = (ms: number) => new Date(ms).toISOString().slice(0, 13);
const resultsId = (c: string, p: string, ms: number) => `${c}:${p}:${hourOf(ms)}`;

interface Running {
  component: ComponentDoc;
  probe: ProbeConfig;
  intervalMs: number;
  timeoutMs: number;
  nextAt: number;
  busy: boolean;
}

/**
 * Runs every component's probes in the one instance holding the probe lease (a lease of the timer
 * store, one per hour, taken over when not renewed), and opens and restores the component's incident
 * through the escalation service's incident requests: `failuresToOpen` failures in a row open one
 * (impact from the first failure, identified at the last), `successesToRestore` successes in a row
 * restore it (at the first success). Opening is keyed by the streak, so a retry after a crash returns
 * the same incident.
 */
export class ProbeRunner {
  private readonly logger = new Logger('availability.probes');
  private readonly leases: TimerStore;
  private readonly states: mongo.Collection<ProbeStateDoc>;
  readonly results: mongo.Collection<ResultsDoc>;
  private readonly loop: SingleFlight;
  private lease?: Lease;
  private leaseUntil = 0;
  private renewedAt = 0;
  private probes = new Map<string, Running>();
  private refreshedAt = 0;
  private active = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    db: mongo.Db,
    private readonly components: ComponentsService,
    private readonly bus: NatsBus,
    private readonly options: { owner: string; leaseMs: number; tickMs: number; refreshMs: number; concurrency: number; rpcTimeoutMs?: number },
  ) {
    this.leases = new TimerStore(db, 3_600_000, 'sla_avail_probe');
    this.states = db.collection<ProbeStateDoc>('avail_probe_state');
    this.results = db.collection<ResultsDoc>('avail_probe_results');
    this.loop = new SingleFlight(() => this.tick(), { name: 'availability probes', intervalMs: options.tickMs, logger: this.logger });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Probes of a component changed on this instance: pick them up now. */
  changed(): void {
    this.refreshedAt = 0;
  }

  /** Holding this hour's lease, not yet expired (at the hour the next slot's lease is claimed first). */
  get holding(): boolean {
    const now = Date.now();
    return this.lease !== undefined && this.lease.slot === Math.floor(now / 3_600_000) && now < this.leaseUntil;
  }

  private async tick(): Promise<void> {
    if (!(await this.holdLease())) {
      this.probes.clear();
      return;
    }
    const now = Date.now();
    if (now - this.refreshedAt >= this.options.refreshMs) await this.refresh(now);
    for (const run of this.probes.values()) {
      if (run.busy || run.nextAt > now || this.active >= this.options.concurrency) continue;
      run.busy = true;
      run.nextAt = Math.max(run.nextAt + run.intervalMs, now + 1);
      this.active++;
      const job = this.check(run)
        .catch((e) => this.logger.warn(`probe ${run.component._id}/${run.probe.id} failed to record: ${(e as Error).message}`))
        .finally(() => {
          run.busy = false;
          this.active--;
          this.inFlight.delete(job);
        });
      this.inFlight.add(job);
    }
  }

  /** Claims (or renews, a third of the way through) the lease of the current hour's slot. */
  private async holdLease(): Promise<boolean> {
    const now = Date.now();
    const slot = Math.floor(now / 3_600_000);
    if (this.lease && this.lease.slot === slot) {
      if (now - this.renewedAt < this.options.leaseMs / 3) return this.holding;
      if (await this.leases.renew(this.lease, this.options.leaseMs)) {
        this.renewedAt = now;
        this.leaseUntil = now + this.options.leaseMs;
        return true;
      }
      this.logger.log('probe lease taken over by another instance');
      this.lease = undefined;
      return false;
    }
    const claim = await this.leases.claim(slot, this.options.owner, this.options.leaseMs, now);
    if (claim.kind !== 'owned') {
      this.lease = undefined;
      return false;
    }
    if (!this.lease) this.logger.log(`probing (lease of hour ${slot})`);
    const previous = this.lease;
    this.lease = claim.lease;
    this.renewedAt = now;
    this.leaseUntil = now + this.options.leaseMs;
    if (previous && previous.slot < slot - 1) void this.leases.purge(previous.slot - 1).catch(() => undefined);
    return true;
  }

  private async refresh(now: number): Promise<void> {
    const next = new Map<string, Running>();
    for (const component of await this.components.all()) {
      for (const probe of component.probes) {
        const id = stateId(component._id, probe.id);
        const old = this.probes.get(id);
        const intervalMs = parseIsoDuration(probe.interval) * 1000;
        next.set(id, {
          component,
          probe,
          intervalMs,
          timeoutMs: parseIsoDuration(probe.timeout) * 1000,
          nextAt: old ? Math.min(old.nextAt, now + intervalMs) : now,
          busy: old?.busy ?? false,
        });
      }
    }
    this.probes = next;
    this.refreshedAt = now;
  }

  private async check(run: Running): Promise<void> {
    const { component, probe } = run;
    const at = Date.now();
    const result = probe.kind === 'http' ? await httpCheck(probe, run.timeoutMs) : await tcpCheck(probe, run.timeoutMs);
    if (!this.holding) return; // lost the lease while checking: the new holder checks again
    const id = stateId(component._id, probe.id);
    await this.results.updateOne(
      { _id: resultsId(component._id, probe.id, at) },
      { $push: { r: { t: at, ok: result.ok, ms: result.ms, ...(result.status !== undefined ? { status: result.status } : {}), ...(result.error ? { error: result.error } : {}) } } },
      { upsert: true },
    );
    const s: ProbeStateDoc = (await this.states.findOne({ _id: id })) ?? { _id: id, failures: 0, successes: 0 };
    if (result.ok) {
      s.successes += 1;
      s.failures = 0;
      delete s.firstFailureAt;
      if (s.successes === 1) s.firstSuccessAt = at;
    } else {
      s.failures += 1;
      s.successes = 0;
      delete s.firstSuccessAt;
      if (s.failures === 1) s.firstFailureAt = at;
    }
    s.lastCheckAt = at;
    s.lastOk = result.ok;
    if (!result.ok && !s.incidentId && s.failures >= probe.failuresToOpen) s.incidentId = await this.open(run, s, at, result);
    if (result.ok && s.incidentId && s.successes >= probe.successesToRestore && (await this.restore(run, s))) delete s.incidentId;
    await this.states.replaceOne({ _id: id }, s, { upsert: true });
  }

  private async open(run: Running, s: ProbeStateDoc, at: number, last: CheckResult): Promise<string | undefined> {
    const { component, probe } = run;
    const actor = stateId(component._id, probe.id);
    try {
      const incident = await this.bus.request(
        Rpc.IncidentCreate,
        {
          title: `${component.name}: ${probe.kind.toUpperCase()} probe ${probe.id} failing`,
          severity: probe.severity,
          description: `${probe.failuresToOpen} failed check(s) in a row of ${probe.kind === 'http' ? probe.url : `${probe.host}:${probe.port}`} (last: ${last.error ?? 'failed'}). Evidence: GET /v1/components/${component._id}/probe-results?from=${new Date(s.firstFailureAt ?? at).toISOString()}`,
          components: [component._id],
          impact: 'outage',
          impactStart: new Date(s.firstFailureAt ?? at).toISOString(),
          identifiedAt: new Date(at).toISOString(),
          openedBy: { kind: 'probe', ...(actor.length <= 64 ? { id: actor } : {}) },
          idempotencyKey: `probe:${actor}:${s.firstFailureAt ?? at}`.slice(0, 200),
        },
        { timeoutMs: this.options.rpcTimeoutMs ?? 10_000 },
      );
      this.logger.log(`probe ${actor} opened incident ${incident.id}`);
      return incident.id;
    } catch (e) {
      this.logger.warn(`probe ${actor} could not open an incident (will retry at the next failure): ${(e as Error).message}`);
      return undefined;
    }
  }

  /** true once the incident is restored (by us, or already by someone else). */
  private async restore(run: Running, s: ProbeStateDoc): Promise<boolean> {
    const actor = stateId(run.component._id, run.probe.id);
    try {
      await this.bus.request(
        Rpc.IncidentRestore,
        { id: s.incidentId!, restoredAt: new Date(s.firstSuccessAt ?? Date.now()).toISOString(), restoredBy: { kind: 'probe', ...(actor.length <= 64 ? { id: actor } : {}) } },
        { timeoutMs: this.options.rpcTimeoutMs ?? 10_000 },
      );
      this.logger.log(`probe ${actor} restored incident ${s.incidentId}`);
      return true;
    } catch (e) {
      if (e instanceof AppError && (e.code === 'INCIDENT.ALREADY_RESTORED' || e.code === 'INCIDENT.NOT_FOUND')) return true;
      this.logger.warn(`probe ${actor} could not restore incident ${s.incidentId} (will retry): ${(e as Error).message}`);
      return false;
    }
  }

  /** The probes of a component with their state (for `GET /v1/components/{id}`). */
  async withState(c: ComponentDoc): Promise<ProbeView[]> {
    const states = await Promise.all(c.probes.map((p) => this.states.findOne({ _id: stateId(c._id, p.id) })));
    return c.probes.map((p, i) => {
      const s = states[i];
      return s
        ? {
            ...p,
            state: {
              ...(s.lastCheckAt ? { lastCheckAt: new Date(s.lastCheckAt).toISOString() } : {}),
              ...(s.lastOk !== undefined ? { lastOk: s.lastOk } : {}),
              consecutiveFailures: s.failures,
              consecutiveSuccesses: s.successes,
              ...(s.incidentId ? { incidentId: s.incidentId } : {}),
            },
          }
        : p;
    });
  }

  /** The evidence: results between two instants (at most 48 hours, read by hour document). */
  async resultsOf(c: ComponentDoc, from: number, to: number, probeId?: string): Promise<ProbeResultView[]> {
    if (!(to > from)) throw new AppError('VALIDATION.FAILED', '`to` must be after `from`');
    if (to - from > 48 * 3_600_000) throw new AppError('VALIDATION.FAILED', 'at most 48 hours of probe results at once');
    const probes = c.probes.filter((p) => !probeId || p.id === probeId);
    const out: ProbeResultView[] = [];
    for (const p of probes) {
      for (let h = Math.floor(from / 3_600_000) * 3_600_000; h < to; h += 3_600_000) {
        const doc = await this.results.findOne({ _id: resultsId(c._id, p.id, h) });
        for (const r of doc?.r ?? []) {
          if (r.t < from || r.t >= to) continue;
          out.push({ probeId: p.id, at: new Date(r.t).toISOString(), ok: r.ok, ms: r.ms, ...(r.status !== undefined ? { status: r.status } : {}), ...(r.error ? { error: r.error } : {}) });
        }
      }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at) || a.probeId.localeCompare(b.probeId));
  }
}
