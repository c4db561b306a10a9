import {
  AckEscalationCommand,
  AppError,
  CreateEscalationRequest,
  EscalationEvents,
  EscalationLevel,
  EscalationReason,
  EscalationView,
  ListEscalationsQuery,
  Page,
} from '@sladesk/contracts';
import { parseIsoDuration } from '@sladesk/business-time';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { DueEntry, DueIndex, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { isDone, mayRequestOwner, Order, orderOf } from '../cases/case-facts';
import { CaseProjection } from '../cases/case-projection.service';
import { toFacts } from '../cases/case-state.schema';
import { DirectoryService } from '../directory/directory.service';
import { DueIndexes } from '../keyed/due-indexes';
import { NotificationService, stableId } from '../notifications/notification.service';
import { EffectivePolicy } from '../policies/policy.schema';
import { PolicyService } from '../policies/policy.service';
import { Escalation, toEscalationView } from './escalation.schema';
import { NEXT_LEVEL, RoutingService } from './routing.service';

/** An acknowledgement timeout whose handling failed is looked at again this much later. */
const RETRY_MS = 5_000;

export interface EscalateInput {
  /** What caused it (e.g. `breach:<eventId>`): the same cause never escalates twice. */
  key: string;
  level: EscalationLevel;
  reason: EscalationReason;
  detail: string;
  caseId?: string;
  incidentId?: string;
  accountId?: string;
  critical?: boolean;
  /** Where its effect on the case stands among the case's facts: right after the fact that caused it; default now. */
  after?: Order;
}

@Injectable()
export class EscalationService {
  private readonly logger = new Logger(EscalationService.name);

  constructor(
    @InjectModel(Escalation.name) private readonly model: Model<Escalation>,
    private readonly cases: CaseProjection,
    private readonly due: DueIndexes,
    private readonly routing: RoutingService,
    private readonly policies: PolicyService,
    private readonly notifications: NotificationService,
    private readonly directory: DirectoryService,
    private readonly relay: OutboxRelay,
  ) {}

  /**
   * Escalates once per cause: records the escalation (with its event), moves the case to the level,
   * and notifies the recipients. Safe to call again with the same key after a crash at any point.
   * A case already resolved (or closed) is not escalated: `null`.
   */
  async escalate(input: EscalateInput, now = new Date()): Promise<Escalation | null> {
    const id = stableId('esc', input.key);
    let esc = await this.model.findById(id).lean<Escalation>();
    if (!esc) {
      const state = input.caseId ? await this.cases.get(input.caseId) : null;
      if (state && isDone(state)) return null;
      // Recorded on the case first: a resolution arriving meanwhile finds it and closes it.
      if (input.caseId) await this.cases.addEscalation(input.caseId, input.accountId, id);
      const policy = await this.policies.effective(input.accountId);
      const route = await this.routing.route(input.level, input.accountId, policy, input.caseId);
      const order = input.after ?? orderOf(now.getTime(), id, 2);
      // Ask for an owner only if no assignment later in the case's history overrides this one.
      const assignee = route.assignee && (!state || mayRequestOwner(toFacts(state), order)) ? route.assignee : undefined;
      const ackDueAt = route.recipients.length ? this.ackDue(policy, input.level, now) : undefined;
      if (ackDueAt) await this.due.acks.schedule(id, ackDueAt, now);
      const doc = {
        _id: id,
        caseId: input.caseId,
        incidentId: input.incidentId,
        accountId: input.accountId,
        level: input.level,
        reason: input.reason,
        detail: input.detail,
        state: 'open' as const,
        assigneeId: assignee?._id,
        recipients: route.recipients.map((r) => r._id),
        repeats: 0,
        order,
        critical: input.critical ?? false,
        ackDueAt,
        outbox: [
          outboxEvent(EscalationEvents.Escalated, {
            escalationId: id,
            ...(input.caseId ? { caseId: input.caseId } : {}),
            ...(input.incidentId ? { incidentId: input.incidentId } : {}),
            ...(input.accountId ? { accountId: input.accountId } : {}),
            level: input.level,
            reason: input.reason,
            detail: input.detail,
            ...(assignee ? { assigneeId: assignee._id } : {}),
            recipients: route.recipients.map((r) => r._id),
            repeat: 0,
            at: now.toISOString(),
          }),
        ],
      };
      try {
        esc = (await this.model.create(doc)).toObject();
        if (!route.recipients.length) this.logger.warn(`escalation ${id} (${input.level}) has nobody to notify`);
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        esc = (await this.model.findById(id).lean<Escalation>())!;
      }
    }
    this.relay.published(this.model, id);
    if (esc.caseId && esc.state === 'open') {
      // Resolved while we were at it: closed at once, nobody chased.
      const state = await this.cases.get(esc.caseId);
      if (state && isDone(state)) {
        await this.close(esc._id);
        return { ...esc, state: 'closed' };
      }
    }
    await this.followUp(esc, 0, now);
    return esc;
  }

  /** The effects after recording: the case's level and requested owner, notifications. Idempotent. */
  private async followUp(esc: Escalation, repeat: number, now: Date): Promise<void> {
    if (esc.caseId && repeat === 0) {
      await this.cases.apply(esc.caseId, {
        kind: 'escalated',
        id: `${esc._id}:level`,
        accountId: esc.accountId,
        order: esc.order ?? orderOf(new Date(esc.createdAt ?? now).getTime(), esc._id, 2),
        level: esc.level,
        ...(esc.assigneeId ? { requestedAssigneeId: esc.assigneeId } : {}),
      });
      await this.cases.syncSets(esc.caseId);
    }
    for (const staffId of esc.recipients) {
      const to = await this.directory.member(staffId);
      if (!to) continue;
      await this.notifications.notify(
        {
          key: `${esc._id}:${repeat}:${staffId}`,
          to,
          subject: this.subject(esc, repeat),
          text: this.text(esc, repeat),
          critical: esc.critical,
          caseId: esc.caseId,
          escalationId: esc._id,
          incidentId: esc.incidentId,
        },
        now,
      );
    }
  }

  private subject(esc: Escalation, repeat: number): string {
    const what = esc.caseId ? `case ${esc.caseId}` : esc.incidentId ? `incident ${esc.incidentId}` : 'SLA Desk';
    const again = repeat ? ` (reminder ${repeat}: please acknowledge)` : '';
    return `[${esc.level}] ${esc.reason.replace(/_/g, ' ')}: ${what}${again}`;
  }

  private text(esc: Escalation, repeat: number): string {
    return [
      esc.detail,
      '',
      `Level: ${esc.level}. Reason: ${esc.reason}.`,
      esc.ackDueAt ? `Acknowledge by ${new Date(esc.ackDueAt).toISOString()}: POST /v1/escalations/${esc._id}/ack` : '',
      repeat ? `This is reminder ${repeat}; unacknowledged escalations move up a level.` : '',
    ]
      .filter((l) => l !== undefined)
      .join('\n');
  }

  private ackDue(policy: EffectivePolicy, level: EscalationLevel, now: Date): Date {
    return new Date(now.getTime() + parseIsoDuration(policy.ackTimeouts[level]) * 1000);
  }

  async acknowledge(cmd: AckEscalationCommand, now = new Date()): Promise<EscalationView> {
    const esc = await this.model.findById(cmd.id).lean<Escalation>();
    if (!esc) throw new AppError('ESCALATION.NOT_FOUND', `Escalation ${cmd.id} does not exist`);
    if (esc.state === 'acknowledged' && esc.acknowledgedBy === cmd.by) return toEscalationView(esc);
    if (esc.state !== 'open') throw new AppError('ESCALATION.NOT_OPEN', `Escalation ${cmd.id} is ${esc.state}`);
    const who = await this.directory.member(cmd.by);
    const allowed = esc.recipients.includes(cmd.by) || who?.roles.some((r) => r === 'manager' || r === 'admin');
    if (!who || !allowed) {
      throw new AppError('ESCALATION.NOT_A_RECIPIENT', `${cmd.by} is not a recipient of escalation ${cmd.id} nor a manager`);
    }
    const updated = await this.model
      .findOneAndUpdate(
        { _id: cmd.id, state: 'open' },
        {
          $set: { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: cmd.by },
          $unset: { ackDueAt: 1 },
          $push: {
            outbox: outboxEvent(EscalationEvents.EscalationAcknowledged, {
              escalationId: cmd.id,
              ...(esc.caseId ? { caseId: esc.caseId } : {}),
              level: esc.level,
              by: cmd.by,
              at: now.toISOString(),
            }),
          },
        },
        { new: true },
      )
      .lean<Escalation>();
    if (!updated) return this.acknowledge(cmd, now); // it changed under us: answer from its new state
    this.relay.published(this.model, cmd.id);
    return toEscalationView(updated);
  }

  /**
   * Acknowledgement timeouts, found by due time (by `_id`): an open escalation past its due time is
   * repeated (bounded by the policy), then superseded by one at the next level. Each step is claimed
   * with a conditional update, so two instances never act on the same timeout.
   */
  async handleAckTimeouts(now = new Date(), limit = 100): Promise<number> {
    const entries = await this.due.acks.due(now, limit);
    for (const entry of entries) {
      try {
        if (!(await this.onAckDue(entry, now))) continue; // not written yet: look again next pass
      } catch (e) {
        this.logger.warn(`acknowledgement timeout of ${entry.id} failed, will retry: ${(e as Error).message}`);
        await this.due.acks.schedule(entry.id, new Date(now.getTime() + RETRY_MS), now);
      }
      await this.due.acks.done(entry);
    }
    return entries.length;
  }

  /** Acts on one due entry; false when it must be looked at again (its escalation is not written yet). */
  private async onAckDue(entry: DueEntry, now: Date): Promise<boolean> {
    const esc = await this.model.findById(entry.id, { outbox: 0 }).lean<Escalation>();
    if (!esc) return DueIndex.settled(entry, now);
    // Acknowledged, closed, moved on, or re-armed for later (its new entry is already there): nothing to do.
    if (esc.state !== 'open' || !esc.ackDueAt || esc.ackDueAt > now) return true;
    const policy = await this.policies.effective(esc.accountId);
    if (esc.repeats < policy.maxRepeats) {
      const repeat = esc.repeats + 1;
      const ackDueAt = this.ackDue(policy, esc.level, now);
      await this.due.acks.schedule(esc._id, ackDueAt, now);
      const claimed = await this.model.findOneAndUpdate(
        { _id: esc._id, state: 'open', repeats: esc.repeats },
        {
          $set: { repeats: repeat, ackDueAt },
          $push: {
            outbox: outboxEvent(EscalationEvents.Escalated, {
              escalationId: esc._id,
              ...(esc.caseId ? { caseId: esc.caseId } : {}),
              ...(esc.incidentId ? { incidentId: esc.incidentId } : {}),
              ...(esc.accountId ? { accountId: esc.accountId } : {}),
              level: esc.level,
              reason: esc.reason,
              detail: esc.detail,
              ...(esc.assigneeId ? { assigneeId: esc.assigneeId } : {}),
              recipients: esc.recipients,
              repeat,
              at: now.toISOString(),
            }),
          },
        },
        { new: true },
      );
      if (claimed) {
        this.relay.published(this.model, esc._id);
        await this.followUp(claimed.toObject(), repeat, now);
      }
    } else {
      const next = NEXT_LEVEL[esc.level];
      const claimed = await this.model.findOneAndUpdate(
        { _id: esc._id, state: 'open', repeats: esc.repeats },
        { $set: { state: next ? 'superseded' : 'exhausted' }, $unset: { ackDueAt: 1 } },
        { new: true },
      );
      if (claimed && next) {
        await this.escalate(
          {
            key: `${esc._id}:unacknowledged`,
            level: next,
            reason: esc.reason,
            detail: `Not acknowledged at ${esc.level} after ${esc.repeats + 1} notifications. ${esc.detail}`,
            caseId: esc.caseId,
            incidentId: esc.incidentId,
            accountId: esc.accountId,
            critical: esc.critical,
          },
          now,
        );
      }
    }
    return true;
  }

  /** A resolved (or closed) case needs no more chasing: its open escalations close, each by `_id`. */
  async closeForCase(caseId: string): Promise<void> {
    const state = await this.cases.get(caseId);
    await Promise.all((state?.escalationIds ?? []).map((id) => this.close(id)));
  }

  private async close(id: string): Promise<void> {
    await this.model.updateOne({ _id: id, state: 'open' }, { $set: { state: 'closed' }, $unset: { ackDueAt: 1 } });
  }

  async createManual(req: CreateEscalationRequest, now = new Date()): Promise<EscalationView> {
    const state = await this.cases.get(req.caseId);
    if (!state?.accountId) throw new AppError('CASE.NOT_FOUND', `Case ${req.caseId} is not known to the escalation service`);
    const level = req.level ?? NEXT_LEVEL[state.level] ?? 'executive';
    const esc = await this.escalate(
      {
        key: `manual:${req.caseId}:${now.toISOString()}:${req.by ?? ''}`,
        level,
        reason: 'manual',
        detail: req.reason,
        caseId: req.caseId,
        accountId: state.accountId,
        critical: state.severity === 'critical',
      },
      now,
    );
    if (!esc) throw new AppError('CASE.INVALID_TRANSITION', `Case ${req.caseId} is ${state.status}: nothing to escalate`);
    return toEscalationView(esc);
  }

  async get(id: string): Promise<EscalationView> {
    const esc = await this.model.findById(id, { outbox: 0 }).lean<Escalation>();
    if (!esc) throw new AppError('ESCALATION.NOT_FOUND', `Escalation ${id} does not exist`);
    return toEscalationView(esc);
  }

  async list(q: ListEscalationsQuery): Promise<Page<EscalationView>> {
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = q.caseId ? await this.ofCase(q, after, limit) : await this.query(q, after, limit);
    const items = rows.slice(0, limit).map(toEscalationView);
    const last = items[items.length - 1];
    return rows.length > limit
      ? { items, nextCursor: Buffer.from(`${last.createdAt}|${last.id}`).toString('base64url') }
      : { items };
  }

  /** One case's escalations, by `_id` from the case (the common question, answered without a query). */
  private async ofCase(q: ListEscalationsQuery, after: { at: Date; id: string } | undefined, limit: number): Promise<Escalation[]> {
    const ids = (await this.cases.get(q.caseId!))?.escalationIds ?? [];
    const docs = await Promise.all(ids.map((id) => this.model.findById(id, { outbox: 0 }).lean<Escalation>()));
    return docs
      .filter((e): e is Escalation => !!e && (['accountId', 'level', 'state', 'reason'] as const).every((k) => !q[k] || e[k] === q[k]))
      .filter((e) => !after || e.createdAt < after.at || (e.createdAt.getTime() === after.at.getTime() && e._id < after.id))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : -1))
      .slice(0, limit + 1);
  }

  /** Any other filter is a query: served by MongoDB's indexes; on FerretDB it reads the collection. */
  private query(q: ListEscalationsQuery, after: { at: Date; id: string } | undefined, limit: number): Promise<Escalation[]> {
    const filter: Record<string, unknown> = {};
    for (const k of ['accountId', 'level', 'state', 'reason'] as const) if (q[k]) filter[k] = q[k];
    if (after) {
      filter.$or = mongoose.trusted([{ createdAt: { $lt: after.at } }, { createdAt: after.at, _id: { $lt: after.id } }]);
    }
    return this.model
      .find(filter, { outbox: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<Escalation[]>();
  }
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!id || Number.isNaN(Date.parse(at))) throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
  return { at: new Date(at), id };
}
