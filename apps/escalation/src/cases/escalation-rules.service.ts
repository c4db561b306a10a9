import {
  CaseOpenedPayload,
  CaseReclassifiedPayload,
  CaseReopenedPayload,
  EventEnvelope,
  SlaBreachedPayload,
  SlaClockEventPayload,
  SlaWarningPayload,
} from '@sladesk/contracts';
import {
  addBusinessSeconds,
  CompiledCalendar,
  compileCalendar,
  defaultContractCalendarSpec,
  parseIsoDuration,
  twentyFourSevenSpec,
} from '@sladesk/business-time';
import { applyOnce } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { DirectoryService } from '../directory/directory.service';
import { EscalationService } from '../escalations/escalation.service';
import { NotificationService } from '../notifications/notification.service';
import { EffectivePolicy } from '../policies/policy.schema';
import { PolicyService } from '../policies/policy.service';
import { CaseState } from './case-state.schema';

/** A rule that needs a case we have not heard of yet throws, so the event is redelivered later. */
export class CaseNotYetKnown extends Error {}

/**
 * The contract's escalation process, rule by rule: new case → the CSM (Tier 1); technical → Tier 2;
 * SLA breach → one level up; persistent (reopened, repeated, unresolved) and platform-wide → executives.
 */
@Injectable()
export class EscalationRulesService {
  /** "Unresolved for too long" counts the default contract's support hours, or all hours. */
  private readonly calendars: Record<'support_hours' | 'always', CompiledCalendar> = {
    support_hours: compileCalendar(defaultContractCalendarSpec()),
    always: compileCalendar(twentyFourSevenSpec()),
  };

  constructor(
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
    private readonly escalations: EscalationService,
    private readonly policies: PolicyService,
    private readonly notifications: NotificationService,
    private readonly directory: DirectoryService,
  ) {}

  async caseOpened(e: EventEnvelope<CaseOpenedPayload>): Promise<void> {
    const p = e.payload;
    const policy = await this.policies.effective(p.accountId);
    const openedAt = new Date(p.receivedAt);
    const unresolvedDueAt = this.unresolvedDue(policy, openedAt);
    await applyOnce(this.cases, p.caseId, e.eventId, {
      $setOnInsert: { accountId: p.accountId, openedAt, level: 'tier1', reopenCount: 0 },
      $set: { category: p.category, severity: p.severity, status: 'new', unresolvedDueAt },
    });
    const critical = p.severity === 'critical';
    await this.escalations.escalate({
      key: `new:${p.caseId}`,
      level: 'tier1',
      reason: 'new_case',
      detail: `New ${p.severity} ${p.category} case #${p.number} from ${p.accountId} via ${p.channel}.`,
      caseId: p.caseId,
      accountId: p.accountId,
      critical,
    });
    if (p.category === 'technical' && policy.technicalToTier2) {
      await this.escalations.escalate({
        key: `technical:${p.caseId}`,
        level: 'tier2',
        reason: 'technical',
        detail: `Technical case #${p.number}: Tier 2 investigates.`,
        caseId: p.caseId,
        accountId: p.accountId,
        critical,
      });
    }
    await this.checkRepeatedCategory(p.caseId, p.accountId, p.category, openedAt, critical);
  }

  async caseReclassified(e: EventEnvelope<CaseReclassifiedPayload>): Promise<void> {
    const p = e.payload;
    const state = await this.known(p.caseId);
    await applyOnce(this.cases, p.caseId, e.eventId, { $set: { severity: p.severity, category: p.category } });
    const policy = await this.policies.effective(p.accountId);
    const critical = p.severity === 'critical';
    if (p.category === 'technical' && p.previousCategory !== 'technical' && policy.technicalToTier2) {
      await this.escalations.escalate({
        key: `technical:${p.caseId}`,
        level: 'tier2',
        reason: 'technical',
        detail: `Case reclassified as technical (${p.reason}): Tier 2 investigates.`,
        caseId: p.caseId,
        accountId: p.accountId,
        critical,
      });
    }
    if (p.category !== p.previousCategory) {
      await this.checkRepeatedCategory(p.caseId, p.accountId, p.category, state.openedAt, critical);
    }
  }

  async caseReopened(e: EventEnvelope<CaseReopenedPayload>): Promise<void> {
    const p = e.payload;
    const state = await this.known(p.caseId);
    const policy = await this.policies.effective(p.accountId);
    const unresolvedDueAt = this.unresolvedDue(policy, new Date(p.at));
    await applyOnce(this.cases, p.caseId, e.eventId, {
      $set: { status: 'open', reopenCount: Math.max(p.reopenCount, state.reopenCount), unresolvedDueAt },
    });
    if (p.reopenCount >= policy.reopenedAtLeast) {
      await this.escalations.escalate({
        key: `reopened:${p.caseId}`,
        level: 'executive',
        reason: 'persistent_reopened',
        detail: `Case reopened ${p.reopenCount} times: a persistent issue.`,
        caseId: p.caseId,
        accountId: p.accountId,
        critical: state.severity === 'critical',
      });
    }
  }

  /** SLA warning: the case's assignee (or, unassigned, the account's CSM) is told how much goal time is left. */
  async slaWarning(e: EventEnvelope<SlaWarningPayload>): Promise<void> {
    const p = e.payload;
    const state = await this.known(p.caseId);
    const policy = await this.policies.effective(p.accountId);
    if (!policy.warningNotifiesAssignee || state.status === 'resolved' || state.status === 'closed') return;
    const ownerId = state.assigneeId ?? (await this.directory.account(p.accountId))?.csmId;
    const to = ownerId ? await this.directory.member(ownerId) : null;
    if (!to) return;
    await this.notifications.notify({
      key: `warning:${e.eventId}:${to._id}`,
      to,
      subject: `[SLA warning] ${describeClock(p)} due ${p.dueAt ?? 'soon'}: case ${p.caseId}`,
      text: `${describeClock(p)} of case ${p.caseId} has used ${p.thresholdPercent} % of its goal (${p.goal.clause}). ${Math.round(p.remainingBusinessSeconds / 60)} business minutes left, due ${p.dueAt ?? 'when the clock resumes'}.`,
      critical: p.severity === 'critical',
      caseId: p.caseId,
    });
  }

  /** SLA breached: the case goes one level above where it is now. */
  async slaBreached(e: EventEnvelope<SlaBreachedPayload>): Promise<void> {
    const p = e.payload;
    const state = await this.known(p.caseId);
    const policy = await this.policies.effective(p.accountId);
    if (!policy.breachEscalates || state.status === 'resolved' || state.status === 'closed') return;
    await this.escalations.escalate({
      key: `breach:${e.eventId}`,
      level: await this.escalations.nextLevelFor(p.caseId),
      reason: 'sla_breach',
      detail: `${describeClock(p)} goal breached (${p.goal.clause}); due ${p.dueAt ?? p.at}.`,
      caseId: p.caseId,
      accountId: p.accountId,
      critical: p.severity === 'critical',
    });
  }

  /** Persistent: the Nth case of one account and category within the window engages executives. */
  private async checkRepeatedCategory(caseId: string, accountId: string, category: string, at: Date, critical: boolean): Promise<void> {
    const policy = await this.policies.effective(accountId);
    const since = new Date(at.getTime() - policy.repeatWindowDays * 86_400_000);
    const count = await this.cases.countDocuments({
      accountId,
      category,
      openedAt: mongoose.trusted({ $gte: since, $lte: at }),
    });
    if (count >= policy.repeatCategoryCases) {
      await this.escalations.escalate({
        key: `repeat:${caseId}:${category}`,
        level: 'executive',
        reason: 'persistent_repeat_category',
        detail: `${count} ${category} cases from ${accountId} within ${policy.repeatWindowDays} days: a persistent issue.`,
        caseId,
        accountId,
        critical,
      });
    }
  }

  /** Persistent: cases unresolved past the policy's business duration. */
  async handleUnresolved(now = new Date()): Promise<number> {
    const due = await this.cases
      .find({ unresolvedDueAt: mongoose.trusted({ $lte: now }), status: mongoose.trusted({ $nin: ['resolved', 'closed'] }) })
      .limit(100)
      .lean<CaseState[]>();
    for (const c of due) {
      await this.escalations.escalate({
        key: `unresolved:${c._id}:${c.reopenCount}`,
        level: 'executive',
        reason: 'persistent_unresolved',
        detail: `Case unresolved since ${c.openedAt.toISOString()}: a persistent issue.`,
        caseId: c._id,
        accountId: c.accountId,
        critical: c.severity === 'critical',
      });
      await this.cases.updateOne({ _id: c._id, unresolvedDueAt: c.unresolvedDueAt }, { $unset: { unresolvedDueAt: 1 } });
    }
    return due.length;
  }

  private unresolvedDue(policy: EffectivePolicy, from: Date): Date {
    return addBusinessSeconds(this.calendars[policy.unresolvedHours], from, parseIsoDuration(policy.unresolvedAfter));
  }

  async known(caseId: string): Promise<CaseState> {
    const state = await this.cases.findById(caseId).lean<CaseState>();
    if (!state) throw new CaseNotYetKnown(`case ${caseId} not known yet (its case.opened event has not arrived)`);
    return state;
  }
}

const describeClock = (p: SlaClockEventPayload) =>
  `${p.clock.replace(/_/g, ' ')}${p.clock === 'next_response' ? ` #${p.cycle}` : ''}`;
