import {
  AppError,
  CorrectIncidentCommand,
  CreateIncidentRequest,
  EscalationEvents,
  IncidentView,
  LinkIncidentCasesCommand,
  ListIncidentsQuery,
  Page,
  RestoreIncidentCommand,
} from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { decodeCursor, DueIndex, isDuplicateKey, pageOf } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { CaseProjection } from '../cases/case-projection.service';
import { CaseState } from '../cases/case-state.schema';
import { DirectoryService } from '../directory/directory.service';
import { EscalationService } from '../escalations/escalation.service';
import { DueIndexes } from '../keyed/due-indexes';
import { NotificationService } from '../notifications/notification.service';
import { PolicyService } from '../policies/policy.service';
import { Incident, IncidentActor, IncidentCorrection, incidentPayload, toIncidentView } from './incident.schema';

/**
 * Incidents: one problem behind many cases. Linked to cases of enough accounts, or critical, an
 * incident is platform-wide: executives are engaged, every linked case is annotated and the CSM of
 * every affected account is briefed.
 */
/** An evaluation a crash interrupted is finished by the ticker this much later. */
const EVALUATION_CHECK_MS = 60_000;
/** How far ahead of this clock an incident's times may be (another instance's or a probe's clock). */
const CLOCK_SKEW_MS = 60_000;
/** Incident ids are uuid v7 (time-ordered): the list's cursor is the last id. */
const INCIDENT_ID = /^[0-9a-f-]{36}$/;

/** The fields a correction may change, as the view names them. */
const CORRECTABLE = ['title', 'description', 'severity', 'components', 'impact', 'degradedWeightBasisPoints', 'impactStart', 'identifiedAt', 'restoredAt', 'cause'] as const;

@Injectable()
export class IncidentService {
  private readonly logger = new Logger(IncidentService.name);

  constructor(
    @InjectModel(Incident.name) private readonly model: Model<Incident>,
    private readonly cases: CaseProjection,
    @InjectModel('RoundRobin') private readonly counters: Model<{ _id: string; n: number }>,
    private readonly policies: PolicyService,
    private readonly escalations: EscalationService,
    private readonly notifications: NotificationService,
    private readonly directory: DirectoryService,
    private readonly relay: OutboxRelay,
    private readonly due: DueIndexes,
  ) {}

  private get keys() {
    return this.model.db.collection<{ _id: string; incidentId: string }>('incident_keys');
  }

  /**
   * Opens an incident. With an `idempotencyKey` (a probe's streak), the same key again returns the
   * incident it opened: the key is claimed with a unique insert before the incident is written, so a
   * crash in between leaves a key whose incident the retry creates, never two incidents.
   */
  async create(req: CreateIncidentRequest, now = new Date()): Promise<IncidentView> {
    let id = uuidv7();
    if (req.idempotencyKey) {
      const claimed = await this.claimKey(req.idempotencyKey, id);
      if (claimed !== id) {
        const existing = await this.model.findById(claimed, { outbox: 0 }).lean<Incident>();
        if (existing) return toIncidentView(existing);
        id = claimed;
      }
    }
    const caseIds = req.caseIds ?? [];
    const accountIds = await this.accountsOf(caseIds);
    const impactStart = req.impactStart ? new Date(req.impactStart) : now;
    const identifiedAt = req.identifiedAt ? new Date(req.identifiedAt) : new Date(Math.max(now.getTime(), impactStart.getTime()));
    const restoredAt = req.restoredAt ? new Date(req.restoredAt) : undefined;
    checkTimes({ impactStart, identifiedAt, ...(restoredAt ? { restoredAt } : {}) }, now);
    const c = await this.counters.findOneAndUpdate({ _id: 'incident-number' }, { $inc: { n: 1 } }, { upsert: true, new: true }).lean();
    const fields: Incident = {
      _id: id,
      number: c!.n,
      title: req.title,
      description: req.description ?? '',
      severity: req.severity,
      state: restoredAt ? 'restored' : 'open',
      caseIds,
      accountIds,
      platformWide: false,
      openedAt: now,
      ...(restoredAt ? { restoredAt, restoredBy: actorOf(req.openedBy) ?? { kind: 'person' } } : {}),
      components: req.components ?? [],
      impact: req.impact ?? 'outage',
      ...(req.degradedWeightBasisPoints !== undefined ? { degradedWeightBasisPoints: req.degradedWeightBasisPoints } : {}),
      impactStart,
      identifiedAt,
      ...(req.cause ? { cause: req.cause } : {}),
      openedBy: actorOf(req.openedBy) ?? { kind: 'person' },
      revision: 1,
      corrections: [],
      outbox: [],
    };
    let doc;
    try {
      doc = await this.model.create({
        ...fields,
        outbox: [
          outboxEvent(EscalationEvents.IncidentOpened, incidentPayload(fields, now)),
          // a past incident recorded at once: restored in the same revision
          ...(restoredAt ? [outboxEvent(EscalationEvents.IncidentRestored, incidentPayload(fields, restoredAt))] : []),
          ...caseIds.map((caseId) =>
            outboxEvent(EscalationEvents.IncidentCaseLinked, { incidentId: id, caseId, title: req.title, platformWide: false, at: now.toISOString() }),
          ),
        ],
      });
    } catch (e) {
      // the same key, retried at the same moment: the other call wrote it
      const existing = isDuplicateKey(e) && req.idempotencyKey ? await this.model.findById(id, { outbox: 0 }).lean<Incident>() : null;
      if (existing) return toIncidentView(existing);
      throw e;
    }
    this.relay.published(this.model, id);
    // a past incident recorded restored has nothing left to escalate
    return toIncidentView(restoredAt ? doc.toObject() : await this.evaluate(doc.toObject(), now));
  }

  /** The incident id a key stands for: `id` when this call claimed it, else the one claimed first. */
  private async claimKey(key: string, id: string): Promise<string> {
    try {
      await this.keys.insertOne({ _id: key, incidentId: id });
      return id;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const held = await this.keys.findOne({ _id: key });
      if (!held) throw e;
      return held.incidentId;
    }
  }

  async link(cmd: LinkIncidentCasesCommand, now = new Date()): Promise<IncidentView> {
    const incident = await this.model.findById(cmd.id).lean<Incident>();
    if (!incident) throw new AppError('INCIDENT.NOT_FOUND', `Incident ${cmd.id} does not exist`);
    if (incident.state !== 'open') throw new AppError('INCIDENT.ALREADY_RESTORED', `Incident ${cmd.id} is restored`);
    const added = cmd.caseIds.filter((c) => !incident.caseIds.includes(c));
    if (!added.length) return toIncidentView(incident);
    const accountIds = await this.accountsOf(added);
    const updated = await this.model
      .findOneAndUpdate(
        { _id: cmd.id, state: 'open' },
        {
          $addToSet: { caseIds: { $each: added }, accountIds: { $each: accountIds } },
          $push: {
            outbox: {
              $each: added.map((caseId) =>
                outboxEvent(EscalationEvents.IncidentCaseLinked, {
                  incidentId: cmd.id,
                  caseId,
                  title: incident.title,
                  platformWide: incident.platformWide,
                  at: now.toISOString(),
                }),
              ),
            },
          },
        },
        { new: true },
      )
      .lean<Incident>();
    if (!updated) throw new AppError('INCIDENT.ALREADY_RESTORED', `Incident ${cmd.id} is restored`);
    this.relay.published(this.model, cmd.id);
    return toIncidentView(await this.evaluate(updated, now));
  }

  async restore(cmd: RestoreIncidentCommand, now = new Date()): Promise<IncidentView> {
    const restoredAt = cmd.restoredAt ? new Date(cmd.restoredAt) : now;
    for (let attempt = 0; ; attempt++) {
      const incident = await this.model.findById(cmd.id, { outbox: 0 }).lean<Incident>();
      if (!incident) throw new AppError('INCIDENT.NOT_FOUND', `Incident ${cmd.id} does not exist`);
      if (incident.state === 'restored') throw new AppError('INCIDENT.ALREADY_RESTORED', `Incident ${cmd.id} is already restored`);
      const revision = incident.revision ?? 1;
      const next: Incident = { ...incident, state: 'restored', restoredAt, restoredBy: actorOf(cmd.restoredBy) ?? { kind: 'person' }, revision: revision + 1 };
      checkTimes({ impactStart: next.impactStart ?? next.openedAt, identifiedAt: next.identifiedAt ?? next.openedAt, restoredAt }, now);
      // the revision guard keeps one revision number per change, whatever a correction does meanwhile
      const updated = await this.model
        .findOneAndUpdate(
          { _id: cmd.id, state: 'open', revision: incident.revision === undefined ? mongoose.trusted({ $exists: false }) : revision },
          {
            $set: { state: 'restored', restoredAt, restoredBy: next.restoredBy, revision: revision + 1 },
            $push: { outbox: outboxEvent(EscalationEvents.IncidentRestored, incidentPayload(next, restoredAt)) },
          },
          { new: true },
        )
        .lean<Incident>();
      if (updated) {
        this.relay.published(this.model, cmd.id);
        return toIncidentView(updated);
      }
      if (attempt >= 3) throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Incident ${cmd.id} changed while being restored; retry`);
    }
  }

  /**
   * A correction: the fields given replace the recorded ones (the correction is kept with who, when and
   * why), and `incident.updated` carries the whole incident so availability recomputes every month the
   * old and the new times touch.
   */
  async correct(cmd: CorrectIncidentCommand, now = new Date()): Promise<IncidentView> {
    for (let attempt = 0; ; attempt++) {
      const incident = await this.model.findById(cmd.id, { outbox: 0 }).lean<Incident>();
      if (!incident) throw new AppError('INCIDENT.NOT_FOUND', `Incident ${cmd.id} does not exist`);
      const revision = incident.revision ?? 1;
      if (cmd.expectedRevision !== undefined && cmd.expectedRevision !== revision) {
        throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Incident ${cmd.id} is at revision ${revision}, not ${cmd.expectedRevision}`, { revision });
      }
      if (cmd.restoredAt !== undefined && incident.state !== 'restored') {
        throw new AppError('INCIDENT.NOT_RESTORED', `Incident ${cmd.id} is open: restore it to give it a restoration time`);
      }
      const before = toIncidentView(incident);
      const set: Partial<Incident> = {};
      const unset: Record<string, 1> = {};
      if (cmd.title !== undefined) set.title = cmd.title;
      if (cmd.description !== undefined) set.description = cmd.description;
      if (cmd.severity !== undefined) set.severity = cmd.severity;
      if (cmd.components !== undefined) set.components = cmd.components;
      if (cmd.impact !== undefined) set.impact = cmd.impact;
      if (cmd.degradedWeightBasisPoints === null) unset.degradedWeightBasisPoints = 1;
      else if (cmd.degradedWeightBasisPoints !== undefined) set.degradedWeightBasisPoints = cmd.degradedWeightBasisPoints;
      if (cmd.impactStart !== undefined) set.impactStart = new Date(cmd.impactStart);
      if (cmd.identifiedAt !== undefined) set.identifiedAt = new Date(cmd.identifiedAt);
      if (cmd.restoredAt !== undefined) set.restoredAt = new Date(cmd.restoredAt);
      if (cmd.cause === null) unset.cause = 1;
      else if (cmd.cause !== undefined) set.cause = cmd.cause;
      const next: Incident = { ...incident, ...set, revision: revision + 1 };
      for (const k of Object.keys(unset)) delete (next as unknown as Record<string, unknown>)[k];
      const after = toIncidentView(next);
      const changed = CORRECTABLE.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
      if (changed.length === 0) return before;
      checkTimes({ impactStart: new Date(after.impactStart), identifiedAt: new Date(after.identifiedAt), ...(after.restoredAt ? { restoredAt: new Date(after.restoredAt) } : {}) }, now);
      const correction: IncidentCorrection = { at: now, ...(cmd.by ? { by: actorOf(cmd.by) } : {}), reason: cmd.reason, changed: [...changed] };
      next.corrections = [...(incident.corrections ?? []), correction];
      const updated = await this.model
        .findOneAndUpdate(
          { _id: cmd.id, revision: incident.revision === undefined ? mongoose.trusted({ $exists: false }) : revision },
          {
            $set: { ...set, revision: revision + 1 },
            ...(Object.keys(unset).length ? { $unset: unset } : {}),
            $push: {
              corrections: correction,
              outbox: outboxEvent(EscalationEvents.IncidentUpdated, incidentPayload(next, now, { changed: [...changed], reason: cmd.reason }), now),
            },
          },
          { new: true },
        )
        .lean<Incident>();
      if (updated) {
        this.relay.published(this.model, cmd.id);
        return toIncidentView(updated);
      }
      if (cmd.expectedRevision !== undefined || attempt >= 3) {
        throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Incident ${cmd.id} changed meanwhile; read it again`);
      }
    }
  }

  /**
   * Makes the incident platform-wide once the policy says so: executives engaged, every affected
   * account's CSM briefed (each once, by key), then the incident marked. Acting before marking means a
   * crash in between repeats the acts (harmlessly) instead of losing them; the entry written first has
   * the ticker finish an evaluation a crash interrupted.
   */
  private async evaluate(incident: Incident, now: Date): Promise<Incident> {
    const policy = await this.policies.effective();
    const wide =
      incident.accountIds.length >= policy.platformWideAccounts ||
      (policy.criticalIncidentToExecutive && incident.severity === 'critical');
    if (!wide) return incident;
    const check = new Date(now.getTime() + EVALUATION_CHECK_MS);
    await this.due.incidents.schedule(incident._id, check, now);
    await this.escalations.escalate(
      {
        key: `incident:${incident._id}:platform-wide`,
        level: 'executive',
        reason: 'platform_wide',
        detail: `Incident "${incident.title}" (${incident.severity}) affects ${incident.accountIds.length} account(s): ${incident.accountIds.join(', ')}.`,
        incidentId: incident._id,
        critical: incident.severity === 'critical',
      },
      now,
    );
    // Every affected account's CSM is briefed once, including accounts linked later.
    for (const accountId of incident.accountIds) {
      const account = await this.directory.account(accountId);
      const csm = account?.csmId ? await this.directory.member(account.csmId) : null;
      if (!csm) continue;
      await this.notifications.notify(
        {
          key: `incident:${incident._id}:brief:${accountId}`,
          to: csm,
          subject: `Platform-wide incident affecting ${account!.name}: ${incident.title}`,
          text: `Incident "${incident.title}" (${incident.severity}) is platform-wide and affects ${account!.name}. ${incident.caseIds.length} linked case(s). Executives are engaged.`,
          critical: incident.severity === 'critical',
          incidentId: incident._id,
          accountId,
        },
        now,
      );
    }
    const current = incident.platformWide
      ? incident
      : ((await this.model
          .findOneAndUpdate({ _id: incident._id, platformWide: false }, { $set: { platformWide: true } }, { new: true })
          .lean<Incident>()) ?? { ...incident, platformWide: true });
    await this.due.incidents.cancel(incident._id, check);
    return current;
  }

  /** Finishes evaluations a crash interrupted (their entries were written before acting). */
  async handleEvaluations(now = new Date(), limit = 100): Promise<number> {
    const entries = await this.due.incidents.due(now, limit);
    for (const entry of entries) {
      try {
        const incident = await this.model.findById(entry.id, { outbox: 0 }).lean<Incident>();
        if (!incident && !DueIndex.settled(entry, now)) continue;
        if (incident?.state === 'open') await this.evaluate(incident, now);
      } catch (e) {
        this.logger.warn(`evaluation of incident ${entry.id} failed, will retry: ${(e as Error).message}`);
        await this.due.incidents.schedule(entry.id, new Date(now.getTime() + EVALUATION_CHECK_MS), now);
      }
      await this.due.incidents.done(entry);
    }
    return entries.length;
  }

  private async accountsOf(caseIds: string[]): Promise<string[]> {
    if (!caseIds.length) return [];
    // One read by _id per case, 32 at a time: FerretDB scans the collection for `$in`.
    const states: (CaseState | null)[] = [];
    for (let i = 0; i < caseIds.length; i += 32) states.push(...(await Promise.all(caseIds.slice(i, i + 32).map((id) => this.cases.get(id)))));
    const missing = caseIds.filter((_id, i) => !states[i]?.accountId);
    if (missing.length) throw new AppError('CASE.NOT_FOUND', `Unknown case(s): ${missing.join(', ')}`, { missing });
    return [...new Set(states.map((s) => s!.accountId!))];
  }

  async get(id: string): Promise<IncidentView> {
    const i = await this.model.findById(id, { outbox: 0 }).lean<Incident>();
    if (!i) throw new AppError('INCIDENT.NOT_FOUND', `Incident ${id} does not exist`);
    return toIncidentView(i);
  }

  async list(q: ListIncidentsQuery): Promise<Page<IncidentView>> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (q.state) filter.state = q.state;
    if (q.componentId) filter.components = q.componentId;
    if (q.cursor) filter._id = mongoose.trusted({ $lt: decodeCursor(q.cursor, INCIDENT_ID) });
    const rows = await this.model.find(filter, { outbox: 0 }).sort({ _id: -1 }).limit(limit + 1).lean<Incident[]>();
    return pageOf(rows, limit, toIncidentView);
  }
}

const actorOf = (a: { kind: IncidentActor['kind']; id?: string } | undefined): IncidentActor | undefined =>
  a ? { kind: a.kind, ...(a.id ? { id: a.id } : {}) } : undefined;

/** impact start ≤ identified ≤ restored, none later than now (plus the clock skew allowed). */
function checkTimes(t: { impactStart: Date; identifiedAt: Date; restoredAt?: Date }, now: Date): void {
  const latest = now.getTime() + CLOCK_SKEW_MS;
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t)) if (v && v.getTime() > latest) problems.push(`${k} is in the future`);
  if (t.identifiedAt < t.impactStart) problems.push('identifiedAt is before impactStart');
  if (t.restoredAt && t.restoredAt < t.identifiedAt) problems.push('restoredAt is before identifiedAt');
  if (problems.length) {
    throw new AppError('INCIDENT.INVALID_TIMES', problems.join('; '), {
      impactStart: t.impactStart.toISOString(),
      identifiedAt: t.identifiedAt.toISOString(),
      ...(t.restoredAt ? { restoredAt: t.restoredAt.toISOString() } : {}),
    });
  }
}
