import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Account } from '../accounts/account.schema';
import { Case } from '../cases/case.schema';
import { ReviewItem } from '../channels/review-queue/review-item.schema';
import { Staff } from '../staff/staff.schema';
import { Key, KeyKind, keyId } from './keys';

const DONE = 'meta:backfilled-v1';

/**
 * Data written before `intake_keys` existed has no key documents: once per database, in the background
 * after start, one pass over cases, accounts, staff and the review queue writes them (idempotent upserts,
 * progress in the log), then a marker says it is done. New writes create their keys themselves.
 */
@Injectable()
export class KeysBackfill implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeysBackfill.name);
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @InjectModel(Key.name) private readonly keys: Model<Key>,
    @InjectModel(Case.name) private readonly cases: Model<Case>,
    @InjectModel(Account.name) private readonly accounts: Model<Account>,
    @InjectModel(Staff.name) private readonly staff: Model<Staff>,
    @InjectModel(ReviewItem.name) private readonly review: Model<ReviewItem>,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run().catch((e) => this.logger.warn(`keys backfill stopped, will run again at next start: ${(e as Error).message}`));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  async run(): Promise<void> {
    if (await this.keys.exists({ _id: DONE })) return;
    let written = 0;
    const put = async (kind: KeyKind, value: string | undefined, fields: Omit<Key, '_id'>, merge = false) => {
      if (!value) return;
      const update = merge ? { $addToSet: { caseIds: fields.caseId } } : { $setOnInsert: fields };
      await this.keys.updateOne({ _id: keyId(kind, value) }, update, { upsert: true });
      written += 1;
      if (written % 10_000 === 0) this.logger.log(`keys backfill: ${written} keys written`);
    };
    const projection = { _id: 1, number: 1, idempotencyScope: 1, intercomConversationId: 1, emailMessageIds: 1 };
    for await (const c of this.cases.find({}, projection).sort({ _id: 1 }).lean<Case>().cursor()) {
      if (this.stopped) return;
      await put('number', String(c.number), { caseId: c._id });
      if (c.idempotencyScope !== c._id) await put('scope', c.idempotencyScope, { caseId: c._id });
      await put('intercom', c.intercomConversationId, { caseId: c._id }, true);
      for (const m of c.emailMessageIds ?? []) await put('msgid', m, { caseId: c._id });
    }
    for await (const a of this.accounts.find({}, { contacts: 1, emailDomains: 1, idempotencyScope: 1 }).lean<Account>().cursor()) {
      if (this.stopped) return;
      for (const c of a.contacts ?? []) await put('account-email', c.email, { accountId: a._id });
      for (const d of a.emailDomains ?? []) await put('account-domain', d, { accountId: a._id });
      if (a.idempotencyScope?.startsWith('key:')) await put('scope', `account|${a.idempotencyScope}`, { accountId: a._id });
    }
    for await (const s of this.staff.find({}, { email: 1, intercomAdminId: 1, idempotencyScope: 1 }).lean<Staff>().cursor()) {
      if (this.stopped) return;
      await put('staff-email', s.email, { staffId: s._id });
      await put('staff-intercom', s.intercomAdminId, { staffId: s._id });
      if (s.idempotencyScope?.startsWith('key:')) await put('scope', `staff|${s.idempotencyScope}`, { staffId: s._id });
    }
    for await (const r of this.review.find({}, { sourceKey: 1 }).lean<ReviewItem>().cursor()) {
      if (this.stopped) return;
      await put('scope', `review|${r.sourceKey}`, { caseId: r._id });
    }
    await this.keys.updateOne({ _id: DONE }, { $setOnInsert: { seq: written } }, { upsert: true });
    if (written) this.logger.log(`keys backfill done: ${written} keys for data written before intake_keys`);
  }
}
