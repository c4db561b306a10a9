import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { DueIndexes } from '../keyed/due-indexes';
import { CountedSets, SetOp } from '../keyed/counted-sets';
import { CaseFact, CaseFacts, isDone, mergeFact, ownerOf } from './case-facts';
import { CaseState, fromFacts, toFacts } from './case-state.schema';
import { UnresolvedClock } from './unresolved-clock';

const ATTEMPTS = 12;
/** Recorded set operations older than this belong to a writer that crashed: another handler takes them over. */
const OPS_LEASE_MS = 30_000;
/** How many times a handler waits (20 ms growing to 200 ms) for another writer's operations before giving up its sync. */
const WAITS = 100;
const DAY_MS = 86_400_000;

/** The set of open cases a staff member owns (Tier 2 least-loaded routing reads its size). */
export const loadSet = (staffId: string) => `load:${staffId}`;
/** The cases of one account and category received on one UTC day (value: when received). */
export const repeatSet = (accountId: string, category: string, dayMs: number) =>
  `repeat:${accountId}:${category}:${new Date(Math.floor(dayMs / DAY_MS) * DAY_MS).toISOString().slice(0, 10)}`;

/** The sets a case belongs in, from its facts alone. */
export function setsOf(s: CaseFacts): Map<string, number> {
  const sets = new Map<string, number>();
  const owner = ownerOf(s);
  if (owner && !isDone(s)) sets.set(loadSet(owner), 1);
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
    private readonly sets: CountedSets,
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
      const legacy = !!doc && doc.setsRev === undefined;
      if (legacy) {
        // Written by the old layout (memberOf: every set it was ever put in): counted where the facts
        // before this one put it, which is where the last sync of the old code left it.
        const before = setsOf(toFacts(doc));
        $set.memberOf = (doc.memberOf ?? []).filter((set) => before.has(set));
        $set.setsRev = 0;
      }
      if (!doc) {
        try {
          await this.model.collection.insertOne({
            _id: caseId,
            ...$set,
            rev: 1,
            escalationIds: [],
            notificationIds: [],
            memberOf: [],
            setsRev: 0,
            appliedEventIds: [fact.id],
          } as never);
        } catch (e) {
          if (!isDuplicateKey(e)) throw e;
          continue; // another fact created it first
        }
      } else {
        const res = await this.model.updateOne(
          { _id: caseId, rev: doc.rev ?? mongoose.trusted({ $exists: false }), ...(legacy ? { setsRev: mongoose.trusted({ $exists: false }) } : {}) },
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

  /** Clears the rule once it fired for this stretch (unless it was re-armed meanwhile). */
  async disarmUnresolved(caseId: string, dueAt: Date): Promise<void> {
    await this.model.updateOne({ _id: caseId, unresolvedDueAt: dueAt }, { $unset: { unresolvedDueAt: 1 } });
  }

  /** The counted sets the case is in (a case of the old layout: those of them its facts call for). */
  countedIn(doc: CaseState | null, wanted = doc ? setsOf(toFacts(doc)) : new Map<string, number>()): string[] {
    if (!doc) return [];
    if (doc.setsRev !== undefined) return doc.memberOf ?? [];
    return (doc.memberOf ?? []).filter((set) => wanted.has(set));
  }

  /**
   * Puts the case in the sets its facts call for and out of every other it is counted in. The change
   * is recorded on the case first (`setOps`, with a compare-and-set on `setsRev`), then applied to each
   * set once, then forgotten: a crash in between is finished by the next sync (the redelivered event,
   * or the case's next fact). A handler that read older facts starts over, so whichever finishes last
   * wrote what the newest facts say.
   */
  async syncSets(caseId: string): Promise<void> {
    let waits = 0;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(caseId);
      if (!doc) return;
      if (doc.setOps?.length) {
        if ((await this.finishOrWait(doc, waits++)) && waits < WAITS) attempt--;
        continue;
      }
      const wanted = setsOf(toFacts(doc));
      const current = this.countedIn(doc, wanted);
      const next = (doc.setsRev ?? 0) + 1;
      const ops: SetOp[] = [
        ...[...wanted].filter(([set]) => !current.includes(set)).map(([set, value]) => ({ set, d: 1 as const, ...(isDaySet(set) ? { at: value } : {}) })),
        ...current.filter((set) => !wanted.has(set)).map((set) => ({ set, d: -1 as const, ...(isDaySet(set) ? { at: 0 } : {}) })),
      ].map((op, i) => ({ id: `${caseId}|${next}|${i}`, ...op }));
      if (!ops.length && doc.setsRev !== undefined) return;
      const written = await this.writeSets(doc, [...wanted.keys()], ops);
      if (!written) continue;
      await this.finish(written);
    }
    this.logger.warn(`sets of case ${caseId} kept changing; the next fact of the case syncs them again`);
  }

  /**
   * Routing's reservation: counts the case in `set` only if the set is still at reservation revision
   * `rev` (as routing read it). `false`: another routing came first (nothing counted).
   */
  async reserve(caseId: string, set: string, rev: number): Promise<boolean> {
    let waits = 0;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(caseId);
      if (!doc) return false;
      if (doc.setOps?.length) {
        if ((await this.finishOrWait(doc, waits++)) && waits < WAITS) attempt--;
        continue;
      }
      const current = this.countedIn(doc);
      if (current.includes(set)) return true;
      const next = (doc.setsRev ?? 0) + 1;
      const op: SetOp = { id: `${caseId}|${next}|r`, set, d: 1 };
      const written = await this.writeSets(doc, [...current, set], [op]);
      if (!written) continue;
      // Lost the race: the operation is made void (unless a concurrent sync applied it meanwhile).
      const won = (await this.sets.reserve(op, rev)) || !(await this.sets.void(op));
      await this.finish(written);
      return won;
    }
    return false;
  }

  /**
   * Records `memberOf` and the operations that get the sets there (compare-and-set on `setsRev`). The
   * writer owns them: only it applies them (then forgets them, on the case and in the sets), so no
   * handler holding an older read can apply an operation again after it was forgotten.
   */
  private async writeSets(doc: CaseState, memberOf: string[], setOps: SetOp[]): Promise<CaseState | null> {
    const setsRev = (doc.setsRev ?? 0) + 1;
    const setOpsAt = Date.now();
    const res = await this.model.collection.updateOne(
      { _id: doc._id, setsRev: doc.setsRev ?? { $exists: false } } as object,
      { $set: { memberOf, setOps, setsRev, setOpsAt } },
    );
    return res.modifiedCount ? { ...doc, memberOf, setOps, setsRev, setOpsAt } : null;
  }

  /**
   * Operations another writer recorded: it finishes them in a moment, so wait; once they are older
   * than `OPS_LEASE_MS` their writer has crashed (or stalled that long): take them over (a
   * compare-and-set that makes us their owner) and finish them.
   */
  private async finishOrWait(doc: CaseState, waits: number): Promise<boolean> {
    if (Date.now() - (doc.setOpsAt ?? 0) < OPS_LEASE_MS) {
      await new Promise((r) => setTimeout(r, Math.min(20 * (waits + 1), 200)));
      return true;
    }
    const taken = await this.writeSets(doc, doc.memberOf ?? [], doc.setOps ?? []);
    if (taken) await this.finish(taken);
    return false;
  }

  /** Applies the case's recorded operations (each once), then forgets them: on the case first, then in the sets. */
  private async finish(doc: CaseState): Promise<void> {
    const ops = doc.setOps ?? [];
    const outcomes = await Promise.all(ops.map((op) => this.sets.apply(doc._id, op)));
    const voided = ops.filter((op, i) => outcomes[i] === 'void' && op.d > 0).map((op) => op.set);
    await this.model.collection.updateOne({ _id: doc._id, setsRev: doc.setsRev } as object, {
      $set: { setOps: [], memberOf: (doc.memberOf ?? []).filter((set) => !voided.includes(set)), setsRev: (doc.setsRev ?? 0) + 1 },
    });
    // Forgotten by the case (by us, or by a concurrent finisher): the sets may forget them too.
    const bySet = new Map<string, string[]>();
    for (const op of ops) bySet.set(op.set, [...(bySet.get(op.set) ?? []), op.id]);
    await Promise.all([...bySet].map(([set, ids]) => this.sets.forget(set, ids)));
  }
}

const isDaySet = (set: string) => set.startsWith('repeat:');
