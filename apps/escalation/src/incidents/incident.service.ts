import {
  AppError,
  CreateIncidentRequest,
  EscalationEvents,
  IncidentView,
  LinkIncidentCasesCommand,
  ListIncidentsQuery,
  Page,
  RestoreIncidentCommand,
} from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { DueIndex } from '@sladesk/persistence';
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
import { Incident, toIncidentView } from './incident.schema';

/**
 * Incidents: one problem behind many cases. Linked to cases of enough accounts, or critical, an
 * incident is platform-wide: executives are engaged, every linked case is annotated and the CSM of
 * every affected account is briefed.
 */
/** An evaluation a crash interrupted is finished by the ticker this much later. */
const EVALUATION_CHECK_MS = 60_000;

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

  async create(req: CreateIncidentRequest, now = new Date()): Promise<IncidentView> {
    const caseIds = req.caseIds ?? [];
    const accountIds = await this.accountsOf(caseIds);
    const id = uuidv7();
    const c = await this.counters.findOneAndUpdate({ _id: 'incident-number' }, { $inc: { n: 1 } }, { upsert: true, new: true }).lean();
    const doc = await this.model.create({
      _id: id,
      number: c!.n,
      title: req.title,
      description: req.description ?? '',
      severity: req.severity,
      state: 'open',
      caseIds,
      accountIds,
      openedAt: now,
      outbox: [
        outboxEvent(EscalationEvents.IncidentOpened, {
          incidentId: id,
          title: req.title,
          severity: req.severity,
          caseIds,
          accountIds,
          platformWide: false,
          at: now.toISOString(),
        }),
        ...caseIds.map((caseId) =>
          outboxEvent(EscalationEvents.IncidentCaseLinked, { incidentId: id, caseId, title: req.title, platformWide: false, at: now.toISOString() }),
        ),
      ],
    });
    this.relay.published(this.model, id);
    return toIncidentView(await this.evaluate(doc.toObject(), now));
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
    const incident = await this.model.findById(cmd.id).lean<Incident>();
    if (!incident) throw new AppError('INCIDENT.NOT_FOUND', `Incident ${cmd.id} does not exist`);
    if (incident.state === 'restored') throw new AppError('INCIDENT.ALREADY_RESTORED', `Incident ${cmd.id} is already restored`);
    const updated = await this.model
      .findOneAndUpdate(
        { _id: cmd.id, state: 'open' },
        {
          $set: { state: 'restored', restoredAt },
          $push: {
            outbox: outboxEvent(EscalationEvents.IncidentRestored, {
              incidentId: cmd.id,
              title: incident.title,
              severity: incident.severity,
              caseIds: incident.caseIds,
              accountIds: incident.accountIds,
              platformWide: incident.platformWide,
              at: restoredAt.toISOString(),
            }),
          },
        },
        { new: true },
      )
      .lean<Incident>();
    if (!updated) throw new AppError('INCIDENT.ALREADY_RESTORED', `Incident ${cmd.id} is already restored`);
    this.relay.published(this.model, cmd.id);
    return toIncidentView(updated);
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
    if (q.cursor) {
      const before = Buffer.from(q.cursor, 'base64url').toString();
      if (!/^[0-9a-f-]{36}$/.test(before)) throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
      filter._id = mongoose.trusted({ $lt: before });
    }
    const rows = await this.model.find(filter, { outbox: 0 }).sort({ _id: -1 }).limit(limit + 1).lean<Incident[]>();
    const items = rows.slice(0, limit).map(toIncidentView);
    return rows.length > limit ? { items, nextCursor: Buffer.from(items[items.length - 1].id).toString('base64url') } : { items };
  }
}
