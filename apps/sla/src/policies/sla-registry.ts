import { CalendarSpec, compileCalendar, CompiledCalendar } from '@sladesk/business-time';
import { AppError, CaseStatus, SlaGoalTable } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { CalendarLookup, CalendarRef, PolicySnapshot } from '../clocks/clock-engine';
import { DEFAULT_POLICY_ID } from './default-contract';

export interface CalendarDoc {
  _id: string;
  name: string;
  version: number;
  /** The CalendarSpec as JSON text (a spec's keys are data, not field names). */
  spec: string;
  builtin: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CalendarVersionDoc {
  _id: string;
  calendarId: string;
  version: number;
  name: string;
  spec: string;
  createdAt: Date;
}

export interface PolicyDoc {
  _id: string;
  name: string;
  version: number;
  accountId?: string;
  isDefault: boolean;
  calendarId: string;
  emergencyCalendarId: string;
  warningThreshold: number;
  pauseStatuses: CaseStatus[];
  goals: SlaGoalTable;
  createdAt: Date;
  updatedAt: Date;
}

export type PolicyVersionDoc = Omit<PolicyDoc, '_id'> & { _id: string; policyId: string };

/** Internal: tells the other sla instances to re-read calendars and policies now. */
export const REGISTRY_CHANGED_SUBJECT = 'sladesk.sla.internal.registry-changed';

export const slaCollections = (db: mongo.Db) => ({
  calendars: db.collection<CalendarDoc>('sla_calendars'),
  calendarVersions: db.collection<CalendarVersionDoc>('sla_calendar_versions'),
  policies: db.collection<PolicyDoc>('sla_policies'),
  policyVersions: db.collection<PolicyVersionDoc>('sla_policy_versions'),
  policyAccounts: db.collection<{ _id: string; policyId: string }>('sla_policy_accounts'),
});

const refKey = (r: CalendarRef) => `${r.id}:${r.version}`;

/**
 * Calendars and policies in memory (they are few), and compiled calendars by version (immutable).
 * Re-read periodically and whenever an instance announces a change.
 */
export class SlaRegistry {
  private readonly logger = new Logger(SlaRegistry.name);
  private readonly c: ReturnType<typeof slaCollections>;
  calendars = new Map<string, CalendarDoc>();
  policies = new Map<string, PolicyDoc>();
  private byAccount = new Map<string, PolicyDoc>();
  private readonly compiled = new Map<string, CompiledCalendar>();
  private timer?: NodeJS.Timeout;

  constructor(
    db: mongo.Db,
    private readonly bus: NatsBus,
  ) {
    this.c = slaCollections(db);
  }

  async refresh(): Promise<void> {
    const [calendars, policies] = await Promise.all([this.c.calendars.find({}).toArray(), this.c.policies.find({}).toArray()]);
    this.calendars = new Map(calendars.map((d) => [d._id, d]));
    this.policies = new Map(policies.map((d) => [d._id, d]));
    this.byAccount = new Map(policies.filter((p) => p.accountId).map((p) => [p.accountId!, p]));
  }

  start(refreshMs: number): void {
    const loop = () => {
      this.timer = setTimeout(() => void this.refresh().catch((e) => this.logger.warn(`registry refresh failed: ${(e as Error).message}`)).finally(loop), refreshMs);
    };
    loop();
    this.bus.nc.subscribe(REGISTRY_CHANGED_SUBJECT, { callback: () => void this.refresh().catch(() => undefined) });
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** After a local change: re-read, and tell the other instances. */
  async changed(): Promise<void> {
    await this.refresh();
    this.bus.nc.publish(REGISTRY_CHANGED_SUBJECT);
  }

  hasOwnPolicy(accountId: string): boolean {
    return this.byAccount.has(accountId);
  }

  policyFor(accountId: string): PolicyDoc {
    const p = this.byAccount.get(accountId) ?? this.policies.get(DEFAULT_POLICY_ID);
    if (!p) throw new AppError('SLA_POLICY.NOT_FOUND', 'no SLA policy: the default policy is missing');
    return p;
  }

  /** The goals that apply to an account now, with the calendar versions they use. */
  snapshotFor(accountId: string): PolicySnapshot {
    const p = this.policyFor(accountId);
    const cal = (id: string): CalendarRef => {
      const c = this.calendars.get(id);
      if (!c) throw new AppError('CALENDAR.NOT_FOUND', `calendar ${id} of policy ${p._id} is missing`);
      return { id, version: c.version };
    };
    return {
      policyId: p._id,
      policyVersion: p.version,
      policyName: p.name,
      calendar: cal(p.calendarId),
      emergencyCalendar: cal(p.emergencyCalendarId),
      warningThreshold: p.warningThreshold,
      pauseStatuses: p.pauseStatuses,
      goals: p.goals,
    };
  }

  static sameGoals(a: PolicySnapshot | undefined, b: PolicySnapshot): boolean {
    return (
      !!a &&
      a.policyId === b.policyId &&
      a.policyVersion === b.policyVersion &&
      refKey(a.calendar) === refKey(b.calendar) &&
      refKey(a.emergencyCalendar) === refKey(b.emergencyCalendar)
    );
  }

  /** Compiles (once) every calendar version the snapshots name. */
  async ensure(refs: Iterable<CalendarRef>): Promise<void> {
    for (const ref of refs) {
      const key = refKey(ref);
      if (this.compiled.has(key)) continue;
      const doc = await this.c.calendarVersions.findOne({ _id: key });
      if (!doc) throw new Error(`calendar version ${key} is missing`);
      this.compiled.set(key, compileCalendar(JSON.parse(doc.spec) as CalendarSpec));
    }
  }

  /** A calendar document's version, compiled once. */
  compiledFor(d: Pick<CalendarDoc, '_id' | 'version' | 'spec'>): CompiledCalendar {
    const key = `${d._id}:${d.version}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = compileCalendar(JSON.parse(d.spec) as CalendarSpec);
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  /** The current version of a calendar, compiled; undefined when it does not exist. */
  compiledCurrent(id: string): CompiledCalendar | undefined {
    const c = this.calendars.get(id);
    return c ? this.compiledFor(c) : undefined;
  }

  readonly lookup: CalendarLookup = (ref) => {
    const c = this.compiled.get(refKey(ref));
    if (!c) throw new Error(`calendar ${refKey(ref)} not loaded`);
    return c;
  };
}

export const refsOf = (snapshots: Iterable<PolicySnapshot | undefined>): CalendarRef[] => {
  const out: CalendarRef[] = [];
  for (const s of snapshots) if (s) out.push(s.calendar, s.emergencyCalendar);
  return out;
};
