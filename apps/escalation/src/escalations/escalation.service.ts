import {
  AckEscalationCommand,
  AppError,
  CreateEscalationRequest,
  EscalationEvents,
  EscalationLevel,
  EscalationReason,
  EscalationView,
  ID_PATTERN,
  ListEscalationsQuery,
  Page,
} from '@sladesk/contracts';
import { parseIsoDuration } from '@sladesk/business-time';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { decodeCursorParts, DueEntry, DueIndex, encodeCursor, ISO_INSTANT_PATTERN, isDuplicateKey, pageOf, CROSS_ACCOUNT, Scope, visibleTo } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { isDone, mayRequestOwner, Order, orderOf } from '../cases/case-facts';
import { CaseProjection } from '../cases/case-projection.service';
import { toFacts } from '../cases/case-state.schema';
import { DirectoryService } from '../directory/directory.service';
import { DueIndexes } from '../keyed/due-indexes';
import { Notification } from '../notifications/notification.schema';
import { DeliveryObserver, NotificationService, stableId } from '../notifications/notification.service';
import { EffectivePolicy } from '../policies/policy.schema';
import { PolicyService } from '../policies/policy.service';
import { Escalation, toEscalationView } from './escalation.schema';
import { NEXT_LEVEL, RoutingService } from './routing.service';

/** An acknowledgement timeout whose handling failed is looked at again this much later. */
const RETRY_MS = 5_000;
/**
 * While a non-critical escalation waits for its notification to go out, its acknowledgement clock has
 * not started; an entry this far ahead checks for a delivery whose report a crash lost.
 */
const DELIVERY_CHECK_MS = 120_000;

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

/**
 * Escalations and their acknowledgement chain. The acknowledgement clock of a non-critical escalation
 * starts when its notification is delivered (a notification held for the recipient's working hours
 * holds the clock too); a critical one's starts at once. Timeouts act first (with idempotent keys)
 * and claim after, so a crash in between repeats the act instead of losing it.
 */
@Injectable()
export class EscalationService implements DeliveryObserver {
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
  ) {
    notifications.observe(this);
  }

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
      const critical = input.critical ?? false;
      // Critical: the clock runs from now. Otherwise from the delivery of the notification (checked then, or by this entry).
      const ackDueAt = route.recipients.length && critical ? this.ackDue(policy, input.level, now) : undefined;
      if (route.recipients.length) await this.due.acks.schedule(id, ackDueAt ?? new Date(now.getTime() + DELIVERY_CHECK_MS), now);
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
        critical,
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

  /** Where an escalation's effect stands in its case's history (`undefined`: unknown here, or from before orders were kept). */
  async orderOf(escalationId: string): Promise<Order | undefined> {
    return (await this.model.findById(escalationId, { order: 1 }).lean<Pick<Escalation, 'order'>>())?.order ?? undefined;
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
    const notified = await this.notifyRecipients(esc, repeat, now);
    // Nobody could be notified (unknown recipients): nothing will be delivered, so the clock starts now.
    if (!notified && esc.recipients.length && !esc.ackDueAt) await this.startAckClock(esc._id, repeat, now);
  }

  /** The notifications of one round (the first, or a reminder), each created once; how many recipients could be told. */
  private async notifyRecipients(esc: Escalation, repeat: number, now: Date): Promise<number> {
    let notified = 0;
    for (const staffId of esc.recipients) {
      const to = await this.directory.member(staffId);
      if (!to) continue;
      await this.notifications.notify(
        {
          key: notificationKey(esc._id, repeat, staffId),
          to,
          subject: this.subject(esc, repeat),
          text: this.text(esc, repeat),
          critical: esc.critical,
          caseId: esc.caseId,
          ...(esc.accountId ? { accountId: esc.accountId } : {}),
          escalationId: esc._id,
          repeat,
          incidentId: esc.incidentId,
        },
        now,
      );
      notified += 1;
    }
    return notified;
  }

  /** DeliveryObserver: a notification of an escalation that is no longer open is not sent. */
  async stillWanted(n: Notification): Promise<boolean> {
    const esc = await this.model.findById(n.escalationId, { state: 1 }).lean<Escalation>();
    return !esc || esc.state === 'open';
  }

  /** DeliveryObserver: the notification of round `repeat` went out (or failed for good): the clock of that round starts. */
  async settled(n: Notification, _delivered: boolean, at: Date): Promise<void> {
    if (n.escalationId) await this.startAckClock(n.escalationId, n.repeat ?? 0, at);
  }

  /** Starts the acknowledgement clock of round `repeat` at `from`, once (the first delivery of the round wins). */
  private async startAckClock(id: string, repeat: number, from: Date): Promise<void> {
    const esc = await this.model.findById(id, { outbox: 0 }).lean<Escalation>();
    if (!esc || esc.state !== 'open' || esc.repeats !== repeat || esc.ackDueAt) return;
    const ackDueAt = this.ackDue(await this.policies.effective(esc.accountId), esc.level, from);
    await this.due.acks.schedule(id, ackDueAt);
    await this.model.updateOne(
      { _id: id, state: 'open', repeats: repeat, ackDueAt: mongoose.trusted({ $exists: false }) },
      { $set: { ackDueAt } },
    );
  }

  /** For an escalation waiting for delivery: starts its clock if a notification of its round went out meanwhile. */
  private async checkDelivered(esc: Escalation, now: Date): Promise<void> {
    const round = await this.notifications.byIds(esc.recipients.map((staffId) => stableId('ntf', notificationKey(esc._id, esc.repeats, staffId))));
    if (!round.length) return this.startAckClock(esc._id, esc.repeats, now);
    const done = round
      .filter((x) => x.state === 'sent' || x.state === 'failed')
      .map((x) => (x.state === 'sent' && x.sentAt ? x.sentAt : x.updatedAt))
      .sort((a, b) => a.getTime() - b.getTime());
    if (done.length) return this.startAckClock(esc._id, esc.repeats, done[0]);
    // Still held (working hours) or being retried: look again once the first of them may have gone out.
    const firstSend = Math.min(...round.map((x) => new Date(x.sendAfter).getTime()));
    await this.due.acks.schedule(esc._id, new Date(Math.max(now.getTime(), firstSend) + DELIVERY_CHECK_MS), now);
  }

  private subject(esc: Escalation, repeat: number): string {
    const what = esc.caseId ? `case ${esc.caseId}` : esc.incidentId ? `incident ${esc.incidentId}` : 'SLA Desk';
    const again = repeat ? ` (reminder ${repeat}: please acknowledge)` : '';
    return `[${esc.level}] ${esc.reason.replace(/_/g, ' ')}: ${what}${again}`;
  }

  private text(esc: Escalation, repeat: number): string {
    const ack = `POST /v1/escalations/${esc._id}/ack`;
    return [
      esc.detail,
      '',
      `Level: ${esc.level}. Reason: ${esc.reason}.`,
      esc.ackDueAt ? `Acknowledge by ${new Date(esc.ackDueAt).toISOString()}: ${ack}` : `Please acknowledge: ${ack}`,
      repeat ? `This is reminder ${repeat}; unacknowledged escalations move up a level.` : '',
    ].join('\n');
  }

  private ackDue(policy: EffectivePolicy, level: EscalationLevel, now: Date): Date {
    return new Date(now.getTime() + parseIsoDuration(policy.ackTimeouts[level]) * 1000);
  }

  /** Another account's escalation (for an account-scoped caller) is not found, as a missing one. */
  async acknowledge(scope: Scope, cmd: AckEscalationCommand, now = new Date()): Promise<EscalationView> {
    const esc = visibleTo(scope, await this.model.findById(cmd.id).lean<Escalation>());
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
    if (!updated) return this.acknowledge(scope, cmd, now); // it changed under us: answer from its new state
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
    // Removed together at the end (one write per bucket): a crash before that only hands them out again.
    const handled: DueEntry[] = [];
    try {
      for (const entry of entries) {
        try {
          if (!(await this.onAckDue(entry, now))) continue; // not written yet: look again next pass
        } catch (e) {
          this.logger.warn(`acknowledgement timeout of ${entry.id} failed, will retry: ${(e as Error).message}`);
          await this.due.acks.schedule(entry.id, new Date(now.getTime() + RETRY_MS), now);
        }
        handled.push(entry);
      }
    } finally {
      await this.due.acks.doneMany(handled);
    }
    return entries.length;
  }

  /** Acts on one due entry; false when it must be looked at again (its escalation is not written yet). */
  private async onAckDue(entry: DueEntry, now: Date): Promise<boolean> {
    const esc = await this.model.findById(entry.id, { outbox: 0 }).lean<Escalation>();
    if (!esc) return DueIndex.settled(entry, now);
    // Acknowledged, closed or moved on: nothing to do.
    if (esc.state !== 'open') return true;
    if (!esc.ackDueAt) {
      await this.checkDelivered(esc, now);
      return true;
    }
    if (esc.ackDueAt > now) return true; // re-armed for later: its new entry is already there
    const policy = await this.policies.effective(esc.accountId);
    if (esc.repeats < policy.maxRepeats) await this.remind(esc, policy, now);
    else await this.supersede(esc, now);
    return true;
  }

  /** The next reminder: sent first (each notification once), then claimed; a crash in between sends nothing twice. */
  private async remind(esc: Escalation, policy: EffectivePolicy, now: Date): Promise<void> {
    const repeat = esc.repeats + 1;
    await this.notifyRecipients(esc, repeat, now);
    const ackDueAt = esc.critical ? this.ackDue(policy, esc.level, now) : undefined;
    await this.due.acks.schedule(esc._id, ackDueAt ?? new Date(now.getTime() + DELIVERY_CHECK_MS), now);
    const claimed = await this.model
      .findOneAndUpdate(
        { _id: esc._id, state: 'open', repeats: esc.repeats },
        {
          $set: { repeats: repeat, ...(ackDueAt ? { ackDueAt } : {}) },
          ...(ackDueAt ? {} : { $unset: { ackDueAt: 1 } }),
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
      )
      .lean<Escalation>();
    if (!claimed) return; // another instance did it, or it was acknowledged: its reminders are not sent (stillWanted)
    this.relay.published(this.model, esc._id);
    // The reminder may have gone out before the claim, when its delivery could not start the clock yet.
    if (!ackDueAt) await this.checkDelivered(claimed, now);
  }

  /** Unacknowledged after every reminder: the next level is engaged first, then this one is superseded. */
  private async supersede(esc: Escalation, now: Date): Promise<void> {
    const next = NEXT_LEVEL[esc.level];
    const key = `${esc._id}:unacknowledged`;
    if (next) {
      await this.escalate(
        {
          key,
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
    const claimed = await this.model.updateOne(
      { _id: esc._id, state: 'open', repeats: esc.repeats },
      { $set: { state: next ? 'superseded' : 'exhausted' }, $unset: { ackDueAt: 1 } },
    );
    if (claimed.modifiedCount || !next) return;
    // Acknowledged (or closed) meanwhile: the level above is not needed after all.
    const current = await this.model.findById(esc._id, { state: 1 }).lean<Escalation>();
    if (current?.state === 'acknowledged' || current?.state === 'closed') await this.close(stableId('esc', key));
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

  /** By `_id`; another account's escalation (for an account-scoped caller) is not found, as a missing one. */
  async get(scope: Scope, id: string): Promise<EscalationView> {
    const esc = visibleTo(scope, await this.model.findById(id, { outbox: 0 }).lean<Escalation>());
    if (!esc) throw new AppError('ESCALATION.NOT_FOUND', `Escalation ${id} does not exist`);
    return toEscalationView(esc);
  }

  /** An account's escalations, or with CROSS_ACCOUNT every account's (staff; the filter may still name one). */
  async list(scope: Scope, query: ListEscalationsQuery): Promise<Page<EscalationView>> {
    const q = scope === CROSS_ACCOUNT ? query : { ...query, accountId: scope.accountId };
    const limit = q.limit ?? 50;
    const after = q.cursor ? afterCursor(q.cursor) : undefined;
    const rows = q.caseId ? await this.ofCase(q, after, limit) : await this.query(q, after, limit);
    return pageOf(rows, limit, toEscalationView, (last) => encodeCursor(last.createdAt, last.id));
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

/** What makes one notification of an escalation unique: the escalation, the round and the recipient. */
const notificationKey = (escalationId: string, repeat: number, staffId: string) => `${escalationId}:${repeat}:${staffId}`;

/** The `createdAt|id` an escalation page continues after (400 PAGINATION.BAD_CURSOR for anything else). */
function afterCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursorParts(cursor, [ISO_INSTANT_PATTERN, ID_PATTERN]);
  return { at: new Date(at), id };
}
