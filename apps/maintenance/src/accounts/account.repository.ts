import { AccountPayload, NoticePreferencesView } from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { SignedLinks } from '../common/links';
import { MaintenanceAccount, recipientsOf } from './account.schema';

@Injectable()
export class AccountRepository {
  constructor(
    @InjectModel(MaintenanceAccount.name) readonly model: Model<MaintenanceAccount>,
    private readonly links: SignedLinks,
  ) {}

  findById(id: string): Promise<MaintenanceAccount | null> {
    return this.model.findById(id).lean<MaintenanceAccount>();
  }

  /** Keeps the newest version of intake's account; an older or repeated event changes nothing. */
  async project(a: AccountPayload): Promise<boolean> {
    const filter = { _id: a.id, $or: [{ version: mongoose.trusted({ $lt: a.version }) }, { version: mongoose.trusted({ $exists: false }) }] };
    const update = { $set: { name: a.name, timeZone: a.timeZone, contacts: a.contacts.map((c) => ({ name: c.name, email: c.email.toLowerCase() })), version: a.version } };
    try {
      const res = await this.model.updateOne(filter, update, { upsert: true });
      return res.modifiedCount + res.upsertedCount > 0;
    } catch (e) {
      // The document exists with this or a newer version: the filter missed and the upsert collided.
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  /**
   * Every account in id order after `after`, read through one cursor (`batch` at a time): one scan of
   * the collection on FerretDB, where a query per page would scan it once per page. The fan-out holds
   * it while it writes each page (seconds between batches, far from the server's idle-cursor timeout);
   * after a crash it resumes from its saved position with a new cursor.
   */
  from(after: string | undefined, batch: number): AsyncIterable<MaintenanceAccount> {
    const filter = after ? { _id: mongoose.trusted({ $gt: after }) } : {};
    return this.model.find(filter).sort({ _id: 1 }).batchSize(batch).lean<MaintenanceAccount[]>().cursor() as AsyncIterable<MaintenanceAccount>;
  }

  /** Every account in id order after `after`, `limit` at a time (erasure across every account). */
  page(after: string | undefined, limit: number): Promise<MaintenanceAccount[]> {
    const filter = after ? { _id: mongoose.trusted({ $gt: after }) } : {};
    return this.model.find(filter).sort({ _id: 1 }).limit(limit).lean<MaintenanceAccount[]>();
  }

  view(id: string, a: MaintenanceAccount | null): NoticePreferencesView {
    return {
      accountId: id,
      known: a?.version !== undefined,
      ...(a?.name ? { name: a.name } : {}),
      ...(a?.timeZone ? { timeZone: a.timeZone } : {}),
      subscriptions: a?.subscriptions ?? null,
      contacts: a ? recipientsOf(a) : [],
      calendarUrl: this.links.calendarUrl(id),
      ...(a?.preferencesUpdatedAt ? { updatedAt: a.preferencesUpdatedAt.toISOString() } : {}),
    };
  }
}
