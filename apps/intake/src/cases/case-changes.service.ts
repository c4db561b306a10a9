import { AppError, CaseChange, EventEnvelope, Events } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { CROSS_ACCOUNT, Scope } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { requestHash } from '../common/request-hash';
import { IntakeEnv } from '../config';
import { DeliveryHandOff } from '../channels/delivery/delivery-hand-off';
import { Delivery } from '../channels/delivery/delivery.schema';
import { CaseRepository, notFound, THREAD_IDS_KEPT } from './case.repository';
import { Case, TimelineEntry, toCaseView, toEntryView } from './case.schema';
import { seal, UnsealedEntry } from './timeline/timeline';
import { TimelineStore } from './timeline/timeline.store';

/** What a change decides, given the case as it is now. The first entry is the one the caller asked for. */
export interface CaseDecision {
  entries: [UnsealedEntry, ...UnsealedEntry[]];
  set?: Record<string, unknown>;
  unset?: string[];
  events: EventEnvelope[];
  /** Messages to the customer carrying the first entry. */
  deliveries?: Omit<Delivery, 'entrySeq'>[];
  emailMessageIds?: string[];
}

/** Marks a change that must happen once: a client's Idempotency-Key, a channel's message id. */
export interface ChangeSource {
  key: string;
  /** For Idempotency-Keys: the same key with another request is refused. */
  requestHash?: string;
}

export interface AppliedChange {
  case: Case;
  entry: TimelineEntry;
  /** False when `source` had been applied before and this is its replay. */
  applied: boolean;
}

/** The source of a change a client asked for with an Idempotency-Key. */
export const keySource = (idempotencyKey: string | undefined, body: unknown): ChangeSource | undefined =>
  idempotencyKey ? { key: `key:${idempotencyKey}`, requestHash: requestHash(body) } : undefined;

const ATTEMPTS = 8;

/**
 * The one way a case changes after it was opened: read it, let the use case decide, append the
 * hash-chained entries with the new state, the events and the messages in one conditional update,
 * and start over if another writer came first.
 */
@Injectable()
export class CaseChanges {
  constructor(
    private readonly cases: CaseRepository,
    private readonly relay: OutboxRelay,
    private readonly deliveries: DeliveryHandOff,
    private readonly timeline: TimelineStore,
    private readonly config: IntakeEnv,
  ) {}

  apply(
    caseId: string,
    decide: (current: Case) => CaseDecision,
    source?: ChangeSource,
    now = new Date(),
    /** The caller's account (an account-scoped caller): another account's case is not found. */
    scope: Scope = CROSS_ACCOUNT,
  ): Promise<AppliedChange> {
    return this.applyNow(caseId, decide, source, now, scope);
  }

  private async applyNow(
    caseId: string,
    decide: (current: Case) => CaseDecision,
    source: ChangeSource | undefined,
    now: Date,
    scope: Scope,
  ): Promise<AppliedChange> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await this.cases.findById(scope, caseId);
      if (!current) throw notFound(caseId);
      const earlier = source && (await this.timeline.findBySource(current, source.key));
      if (earlier) {
        if (source.requestHash && earlier.requestHash !== source.requestHash) {
          throw new AppError(
            'IDEMPOTENCY.KEY_REUSED',
            'This Idempotency-Key was already used for a different request',
          );
        }
        return { case: current, entry: earlier, applied: false };
      }
      const decision = decide(current);
      const [first, ...rest] = decision.entries;
      const tagged: UnsealedEntry = {
        ...first,
        recordedAt: now,
        ...(source ? { source: source.key, requestHash: source.requestHash } : {}),
      };
      const entries = seal(
        caseId,
        { seq: current.seq, hash: current.headHash },
        [tagged, ...rest.map((e) => ({ ...e, recordedAt: now }))],
        this.config.SLADESK_PERSONAL_DATA_COMMITMENTS,
      );
      const deliveries = (decision.deliveries ?? []).map((d) => ({ ...d, entrySeq: entries[0].seq }));
      // Before the change that names them, so that a reply to a mail it sends always finds the case.
      if (decision.emailMessageIds?.length) await this.cases.indexThread(caseId, decision.emailMessageIds);
      // Before the change that queues them, so that a crash right after it still gets them handed over.
      if (deliveries.length) await this.deliveries.expect(caseId, now);
      const overflow = this.timeline.overflow(current.timeline, entries);
      const archived = overflow
        ? {
            bucket: await this.timeline.archive(caseId, current.timeline.slice(0, overflow)),
            tail: [...current.timeline.slice(overflow), ...entries],
          }
        : undefined;
      const updated = await this.cases.append(caseId, current.seq, {
        entries,
        archived,
        set: decision.set,
        unset: decision.unset,
        events: [...decision.events, timelineAppended(current, entries, now)],
        deliveries,
        emailMessageIds: decision.emailMessageIds?.length
          ? [...(current.emailMessageIds ?? []), ...decision.emailMessageIds].slice(-THREAD_IDS_KEPT)
          : undefined,
      });
      if (updated) {
        this.relay.published(this.cases.caseModel, caseId);
        if (deliveries.length) this.deliveries.kick(caseId);
        return { case: updated, entry: entries[0], applied: true };
      }
    }
    throw new AppError(
      'RESOURCE.CONCURRENT_UPDATE',
      `Case ${caseId} changed concurrently too many times; try again`,
    );
  }
}

/**
 * `case.timeline-appended`: the entries a change appended, with their texts and sources, for readers
 * that keep the record (reporting's support record and evidence pack). Published with every change.
 */
export const timelineAppended = (c: Pick<Case, '_id' | 'accountId'>, entries: TimelineEntry[], now: Date): EventEnvelope =>
  outboxEvent(
    Events.CaseTimelineAppended,
    { caseId: c._id, accountId: c.accountId, entries: entries.map((e) => ({ ...toEntryView(e), ...(e.source ? { source: e.source } : {}) })) },
    now,
  );

export const toCaseChange = (c: AppliedChange): CaseChange => ({
  case: toCaseView(c.case),
  entry: toEntryView(c.entry),
});
