import { CaseTimelineAppendedPayload, ContactErasedPayload, EventEnvelope } from '@sladesk/contracts';
import { applyOnce } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { BucketStore } from '../read-models/buckets';
import { caseReducer, CaseState } from '../read-models/case-state';
import { EntityProjection } from '../read-models/entity-projection';
import { RmCase, RmCaseEntry, RmEscalation, RmNotice } from '../read-models/read-model.schemas';
import { ReportExport, ReportExportChunk } from '../exports/export.schema';
import { RecordPacks } from '../record-packs/record-packs.service';
import { RmErasure } from './erasure.schema';

const sha256 = (s: string): string => createHash('sha256').update(s.trim().toLowerCase()).digest('hex');
/** Reports whose files print contacts (support record: name, email, texts; notices: recipients). */
const PERSONAL_REPORTS = ['support-record', 'notices'];
export const ERASED_EXPORT_ERROR = 'Removed after a contact was erased (GDPR Art. 17): it contained their personal data. Export again.';

interface StoredEntry {
  _id: string;
  text?: string;
  actor?: { kind?: string; name?: string };
  data?: Record<string, unknown>;
  pd?: { salt?: string; c: Record<string, string>; erased?: boolean };
}

/**
 * The reporting side of erasing a contact (`contact.erased`): read models, sealed entries, notices and
 * the export files that printed the person. Runs inside the one projection consumer (so in stream order
 * with the case events, and replayed by a rebuild); every step is idempotent, and `rm_erasures`
 * records the erasure once it is complete, so a redelivery after that changes nothing.
 *
 * - `rm_cases` (by `_id`, one per case id): the erasure is merged as a case fact (`withoutPersonalData`),
 *   so a case event still in flight merges without the person too.
 * - `rm_case_entries` (by `_id`, `<case>:<seq>`): entries sealed with hash version 2 lose their values
 *   and salt as in intake (commitments kept, the copy still verifies); version-1 entries hold the values
 *   inside their hash and stay, as intake keeps them (its erasure lists them as `retained`).
 * - `rm_notices`, `rm_escalations`, `report_exports`: **whole-collection scans** (FerretDB 1.24 answers
 *   any filter but `{_id}` with a scan): notices whose recipient hashes to the address, escalations of
 *   the cases (their details may quote staff's free text), finished exports of personal reports whose
 *   account and period cover the cases or notices. Those exports' chunks are deleted and the export is
 *   marked failed with ERASED_EXPORT_ERROR (re-export to get a file without the person).
 */
@Injectable()
export class ContactErasure {
  private readonly logger = new Logger('Erasure');
  private readonly cases: EntityProjection<CaseState>;

  constructor(
    @InjectModel(RmCase.name) caseModel: Model<RmCase>,
    @InjectModel(RmCaseEntry.name) private readonly entries: Model<RmCaseEntry>,
    @InjectModel(RmNotice.name) private readonly notices: Model<RmNotice>,
    @InjectModel(RmEscalation.name) private readonly escalations: Model<RmEscalation>,
    @InjectModel(ReportExport.name) private readonly exports: Model<ReportExport>,
    @InjectModel(ReportExportChunk.name) private readonly chunks: Model<ReportExportChunk>,
    @InjectModel(RmErasure.name) private readonly records: Model<RmErasure>,
    buckets: BucketStore,
    packs: RecordPacks,
  ) {
    this.cases = new EntityProjection(caseModel.collection, buckets, caseReducer, packs);
  }

  async apply(e: EventEnvelope<ContactErasedPayload>): Promise<void> {
    const p = e.payload;
    const done = await this.records.findById(p.erasureId, { appliedEventIds: 1 }).lean<RmErasure>();
    if (done?.appliedEventIds?.includes(e.eventId)) return;

    // What the person looked like here (kept in memory only: to recognise their notices by address).
    const addresses = new Set<string>();
    const days = new Set<string>();
    const accounts = new Set<string>(p.accountId ? [p.accountId] : []);
    let entries = 0;
    for (const caseId of p.caseIds) {
      const before = await this.cases.get(caseId);
      if (before?.contact?.email && !before.erased) addresses.add(before.contact.email.toLowerCase());
      await this.cases.apply(caseId, e as EventEnvelope);
      const after = await this.cases.get(caseId);
      if (after?.day) days.add(after.day);
      if (after?.accountId) accounts.add(after.accountId);
      const erasedEntries = await this.eraseEntries(caseId, after?.seqs ?? [], p.pseudonym);
      // A row rendered from entry documents (long timelines) is rendered again without the person.
      if (erasedEntries) await this.cases.refollow(caseId);
      entries += erasedEntries;
    }
    const noticeDays = new Set<string>();
    const notices = await this.eraseNotices(p, addresses, noticeDays);
    const escalations = await this.eraseEscalations(p.caseIds);
    const exportsRemoved = await this.removeExports(accounts, days, noticeDays);
    await applyOnce(this.records, p.erasureId, e.eventId, {
      $set: { at: new Date(), cases: p.caseIds.length, entries, notices, escalations, exportsRemoved },
    });
    this.logger.log(`erasure ${p.erasureId}: ${p.caseIds.length} cases, ${entries} entries, ${notices} notices, ${escalations} escalations, ${exportsRemoved.length} exports removed`);
  }

  /**
   * After a timeline event was merged: if its case is erased meanwhile, its entries are stored without
   * the person (the erasure may have listed the case's entries before these arrived). One `_id` read.
   */
  async afterTimeline(p: CaseTimelineAppendedPayload): Promise<void> {
    const c = await this.cases.get(p.caseId);
    if (c?.erased && (await this.eraseEntries(p.caseId, p.entries.map((x) => x.seq), c.erased.pseudonym))) await this.cases.refollow(p.caseId);
  }

  private async eraseEntries(caseId: string, seqs: number[], pseudonym: string): Promise<number> {
    let n = 0;
    for (const seq of seqs) {
      const id = `${caseId}:${seq}`;
      const entry = (await this.entries.collection.findOne({ _id: id as never })) as StoredEntry | null;
      if (!entry?.pd || entry.pd.erased) continue;
      const data = entry.data ? { ...entry.data } : undefined;
      for (const path of Object.keys(entry.pd.c)) if (path.startsWith('data/') && data) data[path.slice(5)] = '[erased]';
      const set: Record<string, unknown> = { text: '', pd: { c: entry.pd.c, erased: true }, ...(data ? { data } : {}) };
      if (entry.actor?.kind === 'contact') set['actor.name'] = pseudonym;
      await this.entries.collection.updateOne({ _id: id as never }, { $set: set });
      n++;
    }
    return n;
  }

  /** Scan: notices to the person (the recipient hashes to the erased address). */
  private async eraseNotices(p: ContactErasedPayload, addresses: Set<string>, days: Set<string>): Promise<number> {
    let n = 0;
    const erasedTo = `${p.pseudonym}@erased.invalid`;
    const cursor = this.notices.collection.find(p.accountId ? { accountId: p.accountId } : {}, { projection: { to: 1, day: 1 } });
    for await (const doc of cursor) {
      const to = typeof doc.to === 'string' ? doc.to.toLowerCase() : undefined;
      if (!to || (sha256(to) !== p.emailSha256 && !addresses.has(to))) continue;
      await this.notices.collection.updateOne({ _id: doc._id }, { $set: { to: erasedTo } });
      if (typeof doc.day === 'string') days.add(doc.day);
      n++;
    }
    return n;
  }

  /** Scan: escalations of the cases lose their detail (a manual escalation's reason is staff's free text about the case). */
  private async eraseEscalations(caseIds: string[]): Promise<number> {
    if (!caseIds.length) return 0;
    const res = await this.escalations.collection.updateMany({ caseId: { $in: caseIds } }, { $set: { 'first.detail': '[erased]' } });
    return res.modifiedCount;
  }

  /** Scan: finished personal exports whose account and period cover the person's cases or notices; their files go. */
  private async removeExports(accounts: Set<string>, caseDays: Set<string>, noticeDays: Set<string>): Promise<string[]> {
    if (!caseDays.size && !noticeDays.size) return [];
    const removed: string[] = [];
    const cursor = this.exports.collection.find(
      { report: { $in: PERSONAL_REPORTS }, state: { $in: ['done', 'running'] } },
      { projection: { report: 1, accountId: 1, from: 1, to: 1, attempts: 1, state: 1 } },
    );
    for await (const x of cursor) {
      if (x.accountId && !accounts.has(x.accountId)) continue;
      const days = x.report === 'notices' ? noticeDays : caseDays;
      if (![...days].some((d) => d >= x.from && d <= x.to)) continue;
      if (x.state !== 'done') {
        // Still being written (perhaps from data read before the erasure): removed once it is done.
        this.logger.warn(`export ${x._id} is ${x.state} while a contact is erased: delete it once done and export again`);
        continue;
      }
      for (let a = 1; a <= Math.max(1, x.attempts ?? 1); a++) {
        for (let n = 0; ; n++) {
          const res = await this.chunks.collection.deleteOne({ _id: `${x._id}#${a}:${n}` as never });
          if (!res.deletedCount) break;
        }
      }
      await this.exports.collection.updateOne(
        { _id: x._id },
        { $set: { state: 'failed', error: ERASED_EXPORT_ERROR, chunks: 0, bytes: 0 }, $unset: { sha256: '' } },
      );
      removed.push(String(x._id));
    }
    return removed;
  }
}
