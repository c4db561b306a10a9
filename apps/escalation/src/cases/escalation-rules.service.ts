import { EventEnvelope, SlaBreachedPayload, SlaClockEventPayload, SlaClockStartedPayload, SlaWarningPayload } from '@sladesk/contracts';
import { DueEntry, DueIndex } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { DirectoryService } from '../directory/directory.service';
import { EscalationService } from '../escalations/escalation.service';
import { NEXT_LEVEL } from '../escalations/routing.service';
import { DueIndexes } from '../keyed/due-indexes';
import { IdSets } from '../keyed/id-sets';
import { NotificationService } from '../notifications/notification.service';
import { PolicyService } from '../policies/policy.service';
import { after, CaseFact, CaseFacts, factOfSla, isDone, orderOf, orderOfEvent, ownerOf } from './case-facts';
import { CaseProjection, repeatSet } from './case-projection.service';
import { toFacts } from './case-state.schema';
import { Received, repeatedCases } from './repeat-category';

const DAY_MS = 86_400_000;

/**
 * The contract's escalation process, rule by rule: new case → the CSM (Tier 1); technical → Tier 2;
 * SLA breach → one level up; persistent (reopened, repeated, unresolved) → executives. Case facts
 * may arrive in any order: each is merged first, and a rule acts on the merged case once the facts
 * it needs are known (Tier 1 and technical routing when `case.opened` is), never on a resolved case.
 */
@Injectable()
export class EscalationRulesService {
  private readonly logger = new Logger(EscalationRulesService.name);

  constructor(
    private readonly cases: CaseProjection,
    private readonly escalations: EscalationService,
    private readonly policies: PolicyService,
    private readonly notifications: NotificationService,
    private readonly directory: DirectoryService,
    private readonly sets: IdSets,
    private readonly due: DueIndexes,
  ) {}

  /** Every case fact: merged into the case, then the rules it may have made true (idempotent, so on redelivery too). */
  async onCaseFact(caseId: string, fact: CaseFact): Promise<void> {
    const { state } = await this.cases.apply(caseId, fact);
    await this.cases.syncSets(caseId);
    const s = toFacts(state);
    if (isDone(s)) return this.escalations.closeForCase(caseId);
    if (fact.kind === 'opened') {
      await this.newCase(caseId, s, orderOf(0, fact.id));
      await this.technical(caseId, s);
      await this.repeatedCategory(caseId, s);
    } else if (fact.kind === 'reclassified' && s.opened) {
      await this.technical(caseId, s);
      await this.repeatedCategory(caseId, s);
    } else if (fact.kind === 'reopened') {
      await this.reopened(caseId, s);
    }
  }

  /** Tier 1: the account's CSM takes the new case. */
  private async newCase(caseId: string, s: CaseFacts, opened: string): Promise<void> {
    const o = s.opened!;
    await this.escalations.escalate({
      key: `new:${caseId}`,
      level: 'tier1',
      reason: 'new_case',
      detail: `New ${s.severity} ${s.category} case #${o.number} from ${s.accountId} via ${o.channel}.`,
      caseId,
      accountId: s.accountId,
      critical: s.severity === 'critical',
      after: after(opened, 'new'),
    });
  }

  /** Technical (at opening or once reclassified as such): Tier 2 investigates. */
  private async technical(caseId: string, s: CaseFacts): Promise<void> {
    if (s.category !== 'technical') return;
    const policy = await this.policies.effective(s.accountId);
    if (!policy.technicalToTier2) return;
    await this.escalations.escalate({
      key: `technical:${caseId}`,
      level: 'tier2',
      reason: 'technical',
      detail: `Technical case #${s.opened!.number}: Tier 2 investigates.`,
      caseId,
      accountId: s.accountId,
      critical: s.severity === 'critical',
      after: after(s.orders.classification, 'technical'),
    });
  }

  private async reopened(caseId: string, s: CaseFacts): Promise<void> {
    const policy = await this.policies.effective(s.accountId);
    if (s.reopenCount < policy.reopenedAtLeast) return;
    await this.escalations.escalate({
      key: `reopened:${caseId}`,
      level: 'executive',
      reason: 'persistent_reopened',
      detail: `Case reopened ${s.reopenCount} times: a persistent issue.`,
      caseId,
      accountId: s.accountId,
      critical: s.severity === 'critical',
    });
  }

  /**
   * Persistent: the Nth case of one account and category within the window engages executives. The
   * cases are read from one set per day; the day sets of a month share a document (two or three reads by
   * `_id` for a 30-day window); see `repeatedCases`.
   */
  private async repeatedCategory(caseId: string, s: CaseFacts): Promise<void> {
    if (!s.accountId || !s.category || !s.opened) return;
    const policy = await this.policies.effective(s.accountId);
    const windowMs = policy.repeatWindowDays * DAY_MS;
    const me: Received = { id: caseId, at: s.opened.receivedAt };
    const to = Math.min(me.at + windowMs, Date.now());
    const days: string[] = [];
    for (let d = Math.floor((me.at - windowMs) / DAY_MS) * DAY_MS; d <= to; d += DAY_MS) days.push(repeatSet(s.accountId, s.category, d));
    // The day sets keep the threshold's earliest and latest cases of each day: enough to count up to it.
    // A case a busy day lets go has the threshold's number of earlier cases that day, so its own count
    // reached the threshold (and it was judged) while it was still kept.
    const received = (await this.sets.readMany(days)).flatMap((set) => [...set.members].map(([id, at]) => ({ id, at })));
    for (const hit of repeatedCases(received, me, windowMs, policy.repeatCategoryCases)) {
      const other = hit.id === caseId ? s : toFacts(await this.cases.get(hit.id));
      await this.escalations.escalate({
        key: `repeat:${hit.id}:${s.category}`,
        level: 'executive',
        reason: 'persistent_repeat_category',
        detail: `${hit.count} ${s.category} cases from ${s.accountId} within ${policy.repeatWindowDays} days: a persistent issue.`,
        caseId: hit.id,
        accountId: s.accountId,
        critical: other.severity === 'critical',
      });
    }
  }

  /** Any SLA clock event names the case's SLA policy: its support hours count "unresolved for too long". */
  async slaClock(e: EventEnvelope<SlaClockStartedPayload>): Promise<void> {
    await this.learnSlaPolicy(e, toFacts(await this.cases.get(e.payload.caseId)));
  }

  private async learnSlaPolicy(e: EventEnvelope<SlaClockEventPayload>, s: CaseFacts): Promise<void> {
    const { policyId, policyVersion } = e.payload.goal;
    if (s.slaPolicy?.id === policyId && s.slaPolicy.version === policyVersion) return;
    await this.cases.apply(e.payload.caseId, factOfSla(e));
  }

  /** SLA warning: the case's owner (or, unassigned, the account's CSM) is told how much goal time is left. */
  async slaWarning(e: EventEnvelope<SlaWarningPayload>): Promise<void> {
    const p = e.payload;
    const s = toFacts(await this.cases.get(p.caseId));
    await this.learnSlaPolicy(e, s);
    const policy = await this.policies.effective(p.accountId);
    if (!policy.warningNotifiesAssignee || isDone(s)) return;
    const ownerId = ownerOf(s) ?? (await this.directory.account(p.accountId))?.csmId;
    const to = ownerId ? await this.directory.member(ownerId) : null;
    if (!to) return;
    await this.notifications.notify({
      key: `warning:${e.eventId}:${to._id}`,
      to,
      subject: `[SLA warning] ${describeClock(p)} due ${p.dueAt ?? 'soon'}: case ${p.caseId}`,
      text: `${describeClock(p)} of case ${p.caseId} has used ${p.thresholdPercent} % of its goal (${p.goal.clause}). ${Math.round(p.remainingBusinessSeconds / 60)} business minutes left, due ${p.dueAt ?? 'when the clock resumes'}.`,
      critical: p.severity === 'critical',
      caseId: p.caseId,
      accountId: p.accountId,
    });
  }

  /** SLA breached: the case goes one level above where it is now (the sla service knows the case even if we do not yet). */
  async slaBreached(e: EventEnvelope<SlaBreachedPayload>): Promise<void> {
    const p = e.payload;
    const s = toFacts(await this.cases.get(p.caseId));
    await this.learnSlaPolicy(e, s);
    const policy = await this.policies.effective(p.accountId);
    if (!policy.breachEscalates || isDone(s)) return;
    await this.escalations.escalate({
      key: `breach:${e.eventId}`,
      level: NEXT_LEVEL[s.level] ?? 'executive',
      reason: 'sla_breach',
      detail: `${describeClock(p)} goal breached (${p.goal.clause}); due ${p.dueAt ?? p.at}.`,
      caseId: p.caseId,
      accountId: p.accountId,
      critical: p.severity === 'critical',
      after: after(orderOfEvent(e), 'breach'),
    });
  }

  /** Persistent: cases unresolved past the policy's business duration, found by due time (by `_id`). */
  async handleUnresolved(now = new Date(), limit = 100): Promise<number> {
    const entries = await this.due.unresolved.due(now, limit);
    // Removed together at the end (one write per bucket): a crash before that only hands them out again.
    const handled: DueEntry[] = [];
    try {
      await this.unresolvedEntries(entries, now, handled);
    } finally {
      await this.due.unresolved.doneMany(handled);
    }
    return entries.length;
  }

  private async unresolvedEntries(entries: DueEntry[], now: Date, handled: DueEntry[]): Promise<void> {
    for (const entry of entries) {
      try {
        const c = await this.cases.get(entry.id);
        if (!c?.unresolvedDueAt && !(c && isDone(c)) && !DueIndex.settled(entry, now)) continue; // not written yet: next pass
        // Resolved, fired already, or re-armed for later (its new entry is already there): nothing to do.
        if (c?.unresolvedDueAt && c.unresolvedDueAt <= now && !isDone(c)) {
          await this.escalations.escalate({
            key: `unresolved:${c._id}:${c.reopenCount}`,
            level: 'executive',
            reason: 'persistent_unresolved',
            detail: `Case unresolved since ${(c.unresolvedSince ?? c.openedAt ?? c.unresolvedDueAt).toISOString()}: a persistent issue.`,
            caseId: c._id,
            accountId: c.accountId,
            critical: c.severity === 'critical',
          });
          await this.cases.disarmUnresolved(c._id, c.unresolvedDueAt);
        }
      } catch (e) {
        this.logger.warn(`unresolved rule for case ${entry.id} failed, will retry: ${(e as Error).message}`);
        await this.due.unresolved.schedule(entry.id, new Date(now.getTime() + 5_000), now);
      }
      handled.push(entry);
    }
  }
}

const describeClock = (p: SlaClockEventPayload) =>
  `${p.clock.replace(/_/g, ' ')}${p.clock === 'next_response' ? ` #${p.cycle}` : ''}`;
