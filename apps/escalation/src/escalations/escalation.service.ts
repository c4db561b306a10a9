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
import { applyOnce } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { CaseState } from '../cases/case-state.schema';
import { DirectoryService } from '../directory/directory.service';
import { NotificationService, stableId } from '../notifications/notification.service';
import { EffectivePolicy } from '../policies/policy.schema';
import { PolicyService } from '../policies/policy.service';
import { Escalation, toEscalationView } from './escalation.schema';
import { NEXT_LEVEL, RoutingService } from './routing.service';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
const RANK: Record<EscalationLevel, number> = { tier1: 1, tier2: 2, executive: 3 };

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
}

@Injectable()
export class EscalationService {
  private readonly logger = new Logger(EscalationService.name);

  constructor(
    @InjectModel(Escalation.name) private readonly model: Model<Escalation>,
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
    private readonly routing: RoutingService,
    private readonly policies: PolicyService,
    private readonly notifications: NotificationService,
    private readonly directory: DirectoryService,
    private readonly relay: OutboxRelay,
  ) {}

  /**
   * Escalates once per cause: records the escalation (with its event), moves the case to the level,
   * and notifies the recipients. Safe to call again with the same key after a crash at any point.
   */
  async escalate(input: EscalateInput, now = new Date()): Promise<Escalation> {
    const id = stableId('esc', input.key);
    let esc = await this.model.findById(id).lean<Escalation>();
    if (!esc) {
      const policy = await this.policies.effective(input.accountId);
      const route = await this.routing.route(input.level, input.accountId, policy);
      const doc = {
        _id: id,
        caseId: input.caseId,
        incidentId: input.incidentId,
        accountId: input.accountId,
        level: input.level,
        reason: input.reason,
        detail: input.detail,
        state: 'open' as const,
        assigneeId: route.assignee?._id,
        recipients: route.recipients.map((r) => r._id),
        repeats: 0,
        critical: input.critical ?? false,
        ackDueAt: route.recipients.length ? this.ackDue(policy, input.level, now) : undefined,
        outbox: [
          outboxEvent(EscalationEvents.Escalated, {
            escalationId: id,
            ...(input.caseId ? { caseId: input.caseId } : {}),
            ...(input.incidentId ? { incidentId: input.incidentId } : {}),
            ...(input.accountId ? { accountId: input.accountId } : {}),
            level: input.level,
            reason: input.reason,
            detail: input.detail,
            ...(route.assignee ? { assigneeId: route.assignee._id } : {}),
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
    await this.followUp(esc, 0, now);
    return esc;
  }

  /** The effects after recording: case level and assignee, notifications. Idempotent. */
  private async followUp(esc: Escalation, repeat: number, now: Date): Promise<void> {
    if (esc.caseId && repeat === 0) {
      const set: Record<string, unknown> = {};
      const state = await this.cases.findById(esc.caseId, { level: 1 }).lean<CaseState>();
      if (state && RANK[esc.level] >= RANK[state.level]) set.level = esc.level;
      if (esc.assigneeId) set.assigneeId = esc.assigneeId;
      if (state && Object.keys(set).length) {
        await applyOnce(this.cases, esc.caseId, `${esc._id}:level`, { $set: set });
      }
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

  /** One level above the case's current one (executive stays executive). */
  async nextLevelFor(caseId: string): Promise<EscalationLevel> {
    const state = await this.cases.findById(caseId, { level: 1 }).lean<CaseState>();
    return NEXT_LEVEL[state?.level ?? 'tier1'] ?? 'executive';
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
   * Acknowledgement timeouts: an open escalation past its due time is repeated (bounded by the
   * policy), then superseded by one at the next level. Each step is claimed with a conditional update,
   * so two instances never act on the same timeout.
   */
  async handleAckTimeouts(now = new Date()): Promise<number> {
    const due = await this.model
      .find({ state: 'open', ackDueAt: mongoose.trusted({ $lte: now }) }, { outbox: 0 })
      .limit(100)
      .lean<Escalation[]>();
    let handled = 0;
    for (const esc of due) {
      const policy = await this.policies.effective(esc.accountId);
      if (esc.repeats < policy.maxRepeats) {
        const repeat = esc.repeats + 1;
        const claimed = await this.model.findOneAndUpdate(
          { _id: esc._id, state: 'open', repeats: esc.repeats },
          {
            $set: { repeats: repeat, ackDueAt: this.ackDue(policy, esc.level, now) },
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
      handled += 1;
    }
    return handled;
  }

  /** A resolved case needs no more chasing: its open escalations close. */
  async closeForCase(caseId: string): Promise<void> {
    await this.model.updateMany({ caseId, state: 'open' }, { $set: { state: 'closed' }, $unset: { ackDueAt: 1 } });
  }

  async createManual(req: CreateEscalationRequest, now = new Date()): Promise<EscalationView> {
    const state = await this.cases.findById(req.caseId).lean<CaseState>();
    if (!state) throw new AppError('CASE.NOT_FOUND', `Case ${req.caseId} is not known to the escalation service`);
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
    return toEscalationView(esc);
  }

  async get(id: string): Promise<EscalationView> {
    const esc = await this.model.findById(id, { outbox: 0 }).lean<Escalation>();
    if (!esc) throw new AppError('ESCALATION.NOT_FOUND', `Escalation ${id} does not exist`);
    return toEscalationView(esc);
  }

  async list(q: ListEscalationsQuery): Promise<Page<EscalationView>> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    for (const k of ['caseId', 'accountId', 'level', 'state', 'reason'] as const) if (q[k]) filter[k] = q[k];
    if (q.cursor) {
      const [at, id] = Buffer.from(q.cursor, 'base64url').toString().split('|');
      if (!id || Number.isNaN(Date.parse(at))) throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
      filter.$or = mongoose.trusted([
        { createdAt: { $lt: new Date(at) } },
        { createdAt: new Date(at), _id: { $lt: id } },
      ]);
    }
    const rows = await this.model
      .find(filter, { outbox: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<Escalation[]>();
    const items = rows.slice(0, limit).map(toEscalationView);
    const last = items[items.length - 1];
    return rows.length > limit
      ? { items, nextCursor: Buffer.from(`${last.createdAt}|${last.id}`).toString('base64url') }
      : { items };
  }
}
