import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { DirectoryService } from '../directory/directory.service';
import { DueIndexes } from '../keyed/due-indexes';
import { PolicyService } from '../policies/policy.service';
import { IdSets } from '../keyed/id-sets';
import { LoadSets } from '../keyed/load-sets';
import { CaseFact, CaseFacts, isDone, mergeFact, ownerOf } from './case-facts';
import { CaseState, fromFacts, toFacts } from './case-state.schema';
import { UnresolvedClock } from './unresolved-clock';

const ATTEMPTS = 12;
const DAY_MS = 86_400_000;

/**
 * The set of open cases a Tier 2 member owns (least-loaded routing reads its size; stored in buckets
 * with a summary by `LoadSets`, so no document grows with the member's backlog). Kept only for
 * owners with the `tier2` role, the only sets routing reads: a CSM owns every open case of their
 * accounts, and a set that grows with them would make every later write to it dearer.
 */
export const loadSet = (staffId: string) => `load:${staffId}`;
const LOAD_PREFIX = 'load:';
const loadStaffOf = (set: string): string | undefined => (set.startsWith(LOAD_PREFIX) ? set.slice(LOAD_PREFIX.length) : undefined);
/**
 * The cases of one account and category received on one UTC day (value: when received), bounded: only
 * the policy's threshold of earliest and of latest ones are kept (`IdSets.addBounded`), which is all the
 * repeated-category rule can need, so a busy day stays small. A day set is a field of its month's
 * document (`IdSets` day sets): the rule reads a 30-day window in two or three reads.
 */
export const repeatSet = (accountId: string, category: string, dayMs: number) =>
  `repeat:${accountId}:${category}:${new Date(Math.floor(dayMs / DAY_MS) * DAY_MS).toISOString().slice(0, 10)}`;
const isRepeatSet = (set: string) => set.startsWith('repeat:');

/** The sets a case belongs in, from its facts and whether its owner's load is counted (a Tier 2 member's). */
export function setsOf(s: CaseFacts, loadCounted: (staffId: string) => boolean = () => true): Map<string, number> {
  const sets = new Map<string, number>();
  const owner = ownerOf(s);
  if (owner && !isDone(s) && loadCounted(owner)) sets.set(loadSet(owner), 1);
  if (s.opened && s.accountId && s.category) sets.set(repeatSet(s.accountId, s.category, s.opened.receivedAt), s.opened.receivedAt);
  return sets;
}

/**
 * The one write path of the escalation service's view of a case. Facts are merged (case-facts.ts)
 * and written with a compare-and-set on `rev`, recording the fact's id in the same write: a fact is
 * applied once, and two handlers of one case (two instances, or two subjects) never lose each
 * other's facts. Every read and write is by `_id`.
 */
@Injectable()
export class CaseProjection {
  private readonly logger = new Logger(CaseProjection.name);

  constructor(
    @InjectModel(CaseState.name) private readonly model: Model<CaseState>,
    private readonly clock: UnresolvedClock,
    private readonly due: DueIndexes,
    private readonly sets: IdSets,
    private readonly loads: LoadSets,
    private readonly directory: DirectoryService,
    private readonly policies: PolicyService,
  ) {}

  get(caseId: string): Promise<CaseState | null> {
    return this.model.findById(caseId).lean<CaseState>();
  }

  /** Merges `fact` into the case (creating it if this is the first fact heard of); returns the case after it. */
  async apply(caseId: string, fact: CaseFact): Promise<{ state: CaseState; applied: boolean }> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(caseId);
      if (doc?.appliedEventIds?.includes(fact.id)) return { state: doc, applied: false };
      const next = mergeFact(toFacts(doc), fact);
      const $set: Record<string, unknown> = {};
      const $unset: Record<string, ''> = {};
      for (const [k, v] of Object.entries(fromFacts(next))) {
        if (v === undefined) $unset[k] = '';
        else $set[k] = v;
      }
      await this.arm(caseId, doc, next, $set, $unset);
      if (!doc) {
        try {
          await this.model.collection.insertOne({
            _id: caseId,
            ...$set,
            rev: 1,
            escalationIds: [],
            notificationIds: [],
            memberOf: [],
            appliedEventIds: [fact.id],
          } as never);
        } catch (e) {
          if (!isDuplicateKey(e)) throw e;
          continue; // another fact created it first
        }
      } else {
        const res = await this.model.updateOne(
          { _id: caseId, rev: doc.rev ?? mongoose.trusted({ $exists: false }) },
          { $set, ...(Object.keys($unset).length ? { $unset } : {}), $inc: { rev: 1 }, $push: { appliedEventIds: fact.id } },
        );
        if (res.modifiedCount === 0) continue; // changed under us: merge again
      }
      const state = await this.get(caseId);
      return { state: state!, applied: true };
    }
    throw new Error(`case ${caseId} changed concurrently ${ATTEMPTS} times while applying ${fact.id}`);
  }

  /**
   * "Unresolved for too long": armed for each stretch the case is unresolved (from receipt, or from the
   * latest reopening) in the hours the account's SLA calendar gives, re-armed when that calendar becomes
   * known, disarmed once it is resolved. The due entry is written before the case says so.
   */
  private async arm(caseId: string, doc: CaseState | null, next: CaseFacts, $set: Record<string, unknown>, $unset: Record<string, ''>): Promise<void> {
    if (isDone(next)) {
      if (doc?.unresolvedDueAt) $unset.unresolvedDueAt = '';
      return;
    }
    if (next.unresolvedSince === undefined || !next.accountId) return;
    const since = new Date(next.unresolvedSince);
    const { dueAt, basis } = await this.clock.dueAt(next.accountId, since, next.slaPolicy?.id);
    const armedFor = `${since.toISOString()}|${basis}`;
    if (doc?.unresolvedArmedFor === armedFor) return;
    await this.due.unresolved.schedule(caseId, dueAt);
    $set.unresolvedDueAt = dueAt;
    $set.unresolvedArmedFor = armedFor;
  }

  /** Records an escalation about the case before it is created (so a resolution finds it by `_id`). */
  async addEscalation(caseId: string, accountId: string | undefined, escalationId: string): Promise<void> {
    await this.model.updateOne(
      { _id: caseId },
      { $addToSet: { escalationIds: escalationId }, $setOnInsert: { rev: 0, ...(accountId ? { accountId } : {}) } },
      { upsert: true },
    );
  }

  /** Records a notification about the case before it is created (the case's list reads them by `_id`). */
  async addNotification(caseId: string, notificationId: string): Promise<void> {
    await this.model.updateOne({ _id: caseId }, { $addToSet: { notificationIds: notificationId }, $setOnInsert: { rev: 0 } }, { upsert: true });
  }

  /** Notes that the case is about to be put in `set` (a routing reservation), so a later sync can take it out. */
  async recordMembership(caseId: string, set: string): Promise<void> {
    await this.model.updateOne({ _id: caseId }, { $addToSet: { memberOf: set }, $setOnInsert: { rev: 0 } }, { upsert: true });
  }

  /**
   * For the background repair: a case listed in `staffId`'s load that its facts no longer put there
   * (resolved, or owned by someone else) is taken out, through `syncSets`; one that belongs costs one read.
   */
  async recheckLoad(staffId: string, caseId: string): Promise<void> {
    const doc = await this.get(caseId);
    if (doc) {
      const facts = toFacts(doc);
      if (ownerOf(facts) === staffId && !isDone(facts) && ((await this.directory.member(staffId))?.roles ?? []).includes('tier2')) return;
    }
    await this.syncSets(caseId, loadSet(staffId));
  }

  /** Clears the rule once it fired for this stretch (unless it was re-armed meanwhile). */
  async disarmUnresolved(caseId: string, dueAt: Date): Promise<void> {
    await this.model.updateOne({ _id: caseId, unresolvedDueAt: dueAt }, { $unset: { unresolvedDueAt: 1 } });
  }

  /**
   * Puts the case in the sets its facts call for and out of every other it was ever put in. A handler
   * that read an older revision starts over, so whichever finishes last wrote what the newest facts say.
   */
  async syncSets(caseId: string, listedIn?: string): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(caseId);
      if (!doc && !listedIn) return;
      const facts = toFacts(doc);
      const owner = doc ? ownerOf(facts) : undefined;
      const ownerIsTier2 = owner ? ((await this.directory.member(owner))?.roles ?? []).includes('tier2') : false;
      const wanted = doc ? setsOf(facts, () => ownerIsTier2) : new Map<string, number>();
      const memberOf = [...new Set([...(doc?.memberOf ?? []), ...(listedIn ? [listedIn] : [])])];
      const added = [...wanted.keys()].filter((k) => !memberOf.includes(k));
      // Recorded before the case goes in, so that a later sync can always take it out again.
      if (added.length) await this.model.updateOne({ _id: caseId }, { $addToSet: { memberOf: { $each: added } } });
      const keep = facts.accountId && [...wanted.keys()].some(isRepeatSet) ? (await this.policies.effective(facts.accountId)).repeatCategoryCases : 0;
      const add = (set: string, value: number) => {
        const staff = loadStaffOf(set);
        if (staff !== undefined) return this.loads.add(staff, caseId);
        return isRepeatSet(set) ? this.sets.addBounded(set, caseId, value, keep) : this.sets.add(set, caseId, value);
      };
      const remove = (set: string) => {
        const staff = loadStaffOf(set);
        return staff !== undefined ? this.loads.remove(staff, caseId) : this.sets.remove(set, caseId);
      };
      await Promise.all([...[...wanted].map(([set, value]) => add(set, value)), ...memberOf.filter((set) => !wanted.has(set)).map(remove)]);
      const after = await this.model.findById(caseId, { rev: 1 }).lean<CaseState>();
      if ((after?.rev ?? 0) === (doc?.rev ?? 0)) return;
    }
    this.logger.warn(`sets of case ${caseId} kept changing; the next fact of the case syncs them again`);
  }
}
