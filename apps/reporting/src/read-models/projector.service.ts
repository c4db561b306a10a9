import {
  AccountPayload,
  CaseTimelineAppendedPayload,
  ContactErasedPayload,
  EventEnvelope,
  Events,
  SlaBreachedPayload,
  StaffPayload,
} from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { ContactErasure } from '../erasure/contact-erasure.service';
import { RecordPacks } from '../record-packs/record-packs.service';
import { BucketStore } from './buckets';
import { CASE_SUBJECTS, caseReducer, CaseState, clauseKey } from './case-state';
import { EntityProjection } from './entity-projection';
import { escalationReducer, EscalationState } from './escalation-state';
import { noticeFactsOf, noticeReducer, NoticeState } from './notice-state';
import { RmAccount, RmCase, RmCaseEntry, RmEscalation, RmNotice, RmStaff } from './read-model.schemas';

const CASE_SET = new Set(CASE_SUBJECTS);

/**
 * Every event the reports need, into the read models: one entry point for the live consumer and for
 * the rebuild, so replaying the stream gives the documents the live service built.
 */
@Injectable()
export class Projector {
  readonly cases: EntityProjection<CaseState>;
  readonly escalations: EntityProjection<EscalationState>;
  readonly notices: EntityProjection<NoticeState>;

  constructor(
    @InjectModel(RmCase.name) caseModel: Model<RmCase>,
    @InjectModel(RmCaseEntry.name) private readonly entryModel: Model<RmCaseEntry>,
    @InjectModel(RmEscalation.name) escalationModel: Model<RmEscalation>,
    @InjectModel(RmNotice.name) noticeModel: Model<RmNotice>,
    @InjectModel(RmAccount.name) private readonly accountModel: Model<RmAccount>,
    @InjectModel(RmStaff.name) private readonly staffModel: Model<RmStaff>,
    private readonly buckets: BucketStore,
    private readonly erasure: ContactErasure,
    packs: RecordPacks,
  ) {
    this.cases = new EntityProjection(caseModel.collection, buckets, caseReducer, packs);
    this.escalations = new EntityProjection(escalationModel.collection, buckets, escalationReducer);
    this.notices = new EntityProjection(noticeModel.collection, buckets, noticeReducer);
  }

  async handle(e: EventEnvelope): Promise<void> {
    if (CASE_SET.has(e.type)) {
      const p = e.payload as { caseId: string };
      if (e.type === Events.CaseTimelineAppended) await this.storeEntries(e.payload as CaseTimelineAppendedPayload);
      if (e.type === Events.SlaBreached) {
        const clause = (e.payload as SlaBreachedPayload).goal.clause;
        await this.buckets.rememberClause(clauseKey(clause), clause);
      }
      await this.cases.apply(p.caseId, e);
      if (e.type === Events.CaseTimelineAppended) await this.erasure.afterTimeline(e.payload as CaseTimelineAppendedPayload);
      return;
    }
    switch (e.type) {
      case Events.ContactErased:
        await this.erasure.apply(e as EventEnvelope<ContactErasedPayload>);
        return;
      case Events.Escalated:
      case Events.EscalationAcknowledged:
        await this.escalations.apply((e.payload as { escalationId: string }).escalationId, e);
        return;
      case Events.AccountCreated:
      case Events.AccountUpdated: {
        const p = e.payload as AccountPayload;
        await putVersioned(this.accountModel.collection, p.id, p.version, { name: p.name, timeZone: p.timeZone, csmId: p.csmId ?? null });
        return;
      }
      case Events.StaffCreated:
      case Events.StaffUpdated: {
        const p = e.payload as StaffPayload;
        await putVersioned(this.staffModel.collection, p.id, p.version, { name: p.name, email: p.email, roles: p.roles, active: p.active });
        return;
      }
    }
    // A delivery outcome, or (outbound.outcomes) many: each delivery is its own notice document, each
    // attempt applied once under the id its single event has.
    for (const { eventId, fact } of noticeFactsOf(e)) {
      // Escalation notifications name their case, not its account: take it from the case when known.
      const accountId = fact.accountId ?? (fact.caseId ? (await this.cases.get(fact.caseId))?.accountId : undefined);
      await this.notices.apply(`${fact.source}:${fact.id}`, { ...e, eventId, payload: { ...fact, ...(accountId ? { accountId } : {}) } });
    }
  }

  /** Entries are immutable: each is written once under `<caseId>:<seq>`, exactly as sealed. */
  private async storeEntries(p: CaseTimelineAppendedPayload): Promise<void> {
    for (const entry of p.entries) {
      try {
        await this.entryModel.collection.updateOne(
          { _id: `${p.caseId}:${entry.seq}` as never },
          { $setOnInsert: { ...toPlain(entry), caseId: p.caseId } },
          { upsert: true },
        );
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    }
  }
}

/** Class instances from validation become plain objects, without the keys left undefined. */
const toPlain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Keeps the highest version of a document described whole by each event (accounts, staff). */
async function putVersioned(col: mongo.Collection, id: string, version: number, fields: Record<string, unknown>): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = (await col.findOne({ _id: id as never })) as { version: number } | null;
    if (current && current.version >= version) return;
    const doc = { _id: id, version, ...fields };
    if (!current) {
      try {
        await col.insertOne(doc as never);
        return;
      } catch (e) {
        if (isDuplicateKey(e)) continue;
        throw e;
      }
    }
    const res = await col.replaceOne({ _id: id as never, version: current.version }, doc);
    if (res.matchedCount) return;
  }
}
