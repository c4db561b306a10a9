import { AppError, EraseContactCommand, ErasureReason, ErasureView, Events, RetentionSweepCommand, RetentionSweepResult } from '@sladesk/contracts';
import { outboxEvent, OutboxRelay } from '@sladesk/messaging';
import { Delivery as OutboundDelivery, Outbound } from '@sladesk/outbound';
import { CROSS_ACCOUNT, Scope } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { Account } from '../accounts/account.schema';
import { UpdateAccountService } from '../accounts/update-account/update-account.service';
import { CaseRepository } from '../cases/case.repository';
import { TimelineEntry } from '../cases/case.schema';
import { erasedEntry, holdsPersonalData } from '../cases/timeline/timeline';
import { TimelineStore } from '../cases/timeline/timeline.store';
import { REPLY_TOPIC } from '../channels/delivery/delivery-hand-off';
import { DeliveryLogEntry } from '../channels/delivery/delivery.schema';
import { ReviewItem } from '../channels/review-queue/review-item.schema';
import { Keys } from '../common/keys';
import { Erasure, toErasureView } from './erasure.schema';

const ATTEMPTS = 8;
export const emailSha256 = (email: string): string => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

interface CaseOutcome {
  erased: number;
  /** Version-1 entries whose personal data is inside their hash, and so stays. */
  retained: number[];
}

/**
 * Erasure of a contact's personal data (GDPR Art. 17), and the retention period for resolved cases.
 * In every case whose contact has the address: the contact becomes a pseudonym; subject, description,
 * analysis and resolution summary are emptied; messages still queued to them are dropped; and every
 * timeline entry sealed with hash version 2 loses its personal values and their salt, keeping the
 * commitments its hash covers, so the chain still verifies. Version-1 entries (sealed with the values
 * inside the hash) keep them and are listed in `retained`. The review queue's messages from the
 * address, the account's contact entry and its address key go too. `contact.erased` tells the other
 * services (by the address's sha256 and the case ids, never the address).
 */
@Injectable()
export class EraseContactService {
  private readonly logger = new Logger('Erasure');

  constructor(
    private readonly cases: CaseRepository,
    private readonly timeline: TimelineStore,
    private readonly keys: Keys,
    private readonly accounts: UpdateAccountService,
    private readonly relay: OutboxRelay,
    @InjectModel(Erasure.name) private readonly erasures: Model<Erasure>,
    @InjectModel(ReviewItem.name) private readonly reviewItems: Model<ReviewItem>,
    @InjectModel(Account.name) private readonly accountModel: Model<Account>,
    @InjectModel(DeliveryLogEntry.name) private readonly deliveryLog: Model<DeliveryLogEntry>,
    private readonly outbound: Outbound,
  ) {}

  async erase(cmd: EraseContactCommand, now = new Date()): Promise<ErasureView> {
    const email = cmd.email.trim().toLowerCase();
    const accountId = cmd.scope?.accountId ?? cmd.accountId;
    if (cmd.scope && cmd.accountId && cmd.accountId !== cmd.scope.accountId) throw new AppError('ACCOUNT.NOT_FOUND', `Account ${cmd.accountId} does not exist`);
    const scope: Scope = accountId ? { accountId } : CROSS_ACCOUNT;
    const id = randomUUID();
    const pseudonym = `erased-contact-${id.slice(0, 8)}`;
    const caseIds = await this.cases.idsByContactEmail(scope, email);
    const outcome = await this.eraseCases(caseIds, pseudonym, now);
    await this.eraseElsewhere(email, accountId, pseudonym);
    return this.record({ id, email, accountId, reason: cmd.reason ?? 'request', caseIds, pseudonym, now, by: cmd.by, note: cmd.note, ...outcome });
  }

  async get(id: string): Promise<ErasureView> {
    const e = await this.erasures.findById(id).lean<Erasure>();
    if (!e) throw new AppError('ERASURE.NOT_FOUND', `Erasure ${id} does not exist`);
    return toErasureView(e);
  }

  /** Cases resolved more than `olderThanDays` ago lose their personal data, one erasure record per contact address. */
  async sweepRetention(cmd: RetentionSweepCommand, now = new Date()): Promise<RetentionSweepResult> {
    const limit = cmd.limit ?? 100;
    const ids = await this.cases.idsDueForRetention(new Date(now.getTime() - cmd.olderThanDays * 86_400_000), limit + 1);
    const due = ids.slice(0, limit);
    if (cmd.dryRun) return { erased: due, more: ids.length > limit };
    for (const caseId of due) {
      const c = await this.cases.findById(CROSS_ACCOUNT, caseId);
      if (!c) continue;
      const id = randomUUID();
      const pseudonym = `erased-contact-${id.slice(0, 8)}`;
      const outcome = await this.eraseCases([caseId], pseudonym, now);
      await this.record({ id, email: c.contact.email, accountId: c.accountId, reason: 'retention', caseIds: [caseId], pseudonym, now, ...outcome });
    }
    return { erased: due, more: ids.length > limit };
  }

  private async eraseCases(caseIds: string[], pseudonym: string, now: Date): Promise<{ entriesErased: number; retained: { caseId: string; seqs: number[] }[] }> {
    let entriesErased = 0;
    const retained: { caseId: string; seqs: number[] }[] = [];
    for (const caseId of caseIds) {
      const o = await this.eraseCase(caseId, pseudonym, now);
      entriesErased += o.erased;
      if (o.retained.length) retained.push({ caseId, seqs: o.retained });
    }
    return { entriesErased, retained };
  }

  private async eraseCase(caseId: string, pseudonym: string, now: Date): Promise<CaseOutcome> {
    const retained = new Set<number>();
    const change = (e: TimelineEntry): TimelineEntry => {
      const erased = erasedEntry(e, pseudonym);
      if (erased) return erased;
      if (holdsPersonalData(e)) retained.add(e.seq);
      return e;
    };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const c = await this.cases.findById(CROSS_ACCOUNT, caseId);
      if (!c) return { erased: 0, retained: [] };
      // Archived entries first (they never change otherwise), then the case and its tail in one conditional update.
      let erased = await this.timeline.rewriteBuckets(c, change);
      const tail = c.timeline.map(change);
      erased += tail.filter((e, i) => e !== c.timeline[i]).length;
      const set: Record<string, unknown> = {
        timeline: tail,
        contact: { name: pseudonym, email: `${pseudonym}@erased.invalid` },
        subject: '[erased]',
        description: '',
        analysis: '',
        deliveries: [],
        erasedAt: now,
        ...(c.resolution ? { 'resolution.summary': '' } : {}),
      };
      const updated = await this.cases.caseModel.updateOne({ _id: caseId, seq: c.seq }, { $set: set });
      if (updated.matchedCount === 1) {
        await this.eraseMessages(caseId, (c.deliveries ?? []).map((d) => d.id), pseudonym);
        return { erased, retained: [...retained].sort((a, b) => a - b) };
      }
      retained.clear();
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Case ${caseId} changed concurrently too many times; erase again`);
  }

  /**
   * The messages sent (or still to send) to the contact about the case, kept by outbound: recipient
   * and texts pseudonymized, as the record that they were sent. Found by `_id`: the queue the case had
   * (emptied by the caller first, so outbound's `stillWanted` no longer sends its head) and
   * `case_deliveries` (every message that left the queue; by `caseId`, indexed on MongoDB, a scan on
   * FerretDB — erasure is rare).
   */
  private async eraseMessages(caseId: string, queued: string[], pseudonym: string): Promise<void> {
    const logged = await this.deliveryLog.find({ caseId }, { _id: 1 }).lean<Pick<DeliveryLogEntry, '_id'>[]>();
    for (const id of new Set([...queued, ...logged.map((l) => l._id)])) {
      const d = await this.outbound.model.findById(id, { channel: 1, topic: 1 }).lean<OutboundDelivery>();
      if (!d || d.topic !== REPLY_TOPIC) continue;
      await this.outbound.model.updateOne(
        { _id: id },
        {
          $set: { ...(d.channel === 'email' ? { to: `${pseudonym}@erased.invalid` } : {}), subject: '[erased]', text: '[erased]' },
          $unset: { toName: '', html: '', headers: '' },
        },
      );
    }
  }

  /** The review queue's messages from the address, the account's contact entry and its address key. */
  private async eraseElsewhere(email: string, accountId: string | undefined, pseudonym: string): Promise<void> {
    await this.reviewItems.updateMany(
      { 'from.email': email },
      { $set: { from: { name: pseudonym, email: '' }, subject: '[erased]', text: '' }, $unset: { intercomAuthor: '' } },
    );
    const accounts = await this.accountModel.find({ 'contacts.email': email, ...(accountId ? { _id: accountId } : {}) }).lean<Account[]>();
    for (const a of accounts) {
      await this.accounts.execute({ id: a._id, contacts: a.contacts.filter((c) => c.email.toLowerCase() !== email) });
    }
    await this.keys.remove('account-email', email);
  }

  private async record(r: {
    id: string;
    email: string;
    accountId?: string;
    reason: ErasureReason;
    caseIds: string[];
    pseudonym: string;
    now: Date;
    by?: string;
    note?: string;
    entriesErased: number;
    retained: { caseId: string; seqs: number[] }[];
  }): Promise<ErasureView> {
    const sha = emailSha256(r.email);
    const doc: Erasure = {
      _id: r.id,
      emailSha256: sha,
      ...(r.accountId ? { accountId: r.accountId } : {}),
      reason: r.reason,
      caseIds: r.caseIds,
      entriesErased: r.entriesErased,
      retained: r.retained,
      ...(r.note ? { note: r.note } : {}),
      ...(r.by ? { by: r.by } : {}),
      at: r.now,
      outbox: [
        outboxEvent(
          Events.ContactErased,
          { erasureId: r.id, emailSha256: sha, ...(r.accountId ? { accountId: r.accountId } : {}), caseIds: r.caseIds, reason: r.reason, pseudonym: r.pseudonym, at: r.now.toISOString() },
          r.now,
        ),
      ],
    };
    await this.erasures.create(doc);
    this.relay.published(this.erasures, r.id);
    this.logger.log(`erasure ${r.id}: ${r.caseIds.length} cases, ${r.entriesErased} entries, ${r.retained.length} cases with entries kept (hash version 1)`);
    return toErasureView(doc);
  }

  register(): void {
    this.relay.register(this.erasures);
  }
}
