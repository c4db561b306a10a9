import { NoticePreferencesView, PutNoticePreferencesCommand } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { AccountRepository } from '../account.repository';

/**
 * Sets an account's notice preferences (component subscriptions, notification contacts and their
 * flags). Works before intake's account event arrived: the projection fills in the rest later.
 */
@Injectable()
export class PutNoticePreferencesService {
  constructor(private readonly accounts: AccountRepository) {}

  async execute(cmd: PutNoticePreferencesCommand, now = new Date()): Promise<NoticePreferencesView> {
    const $set: Record<string, unknown> = { preferencesUpdatedAt: now };
    if (cmd.subscriptions !== undefined) $set.subscriptions = cmd.subscriptions === null ? null : [...new Set(cmd.subscriptions)];
    const update: Record<string, unknown> = { $set };
    if (cmd.contacts !== undefined) {
      const contacts = cmd.contacts.map((c) => ({ ...c, email: c.email.toLowerCase() }));
      $set.noticeContacts = contacts;
      // A contact explicitly set to receive notices again is no longer opted out.
      const back = contacts.filter((c) => c.receivesNotices === true).map((c) => c.email);
      if (back.length) update.$pullAll = { optedOut: back };
    }
    await this.accounts.model.updateOne({ _id: cmd.accountId }, update, { upsert: true }).catch(async (e) => {
      if ((e as { code?: number }).code !== 11000) throw e;
      await this.accounts.model.updateOne({ _id: cmd.accountId }, update);
    });
    return this.accounts.view(cmd.accountId, await this.accounts.findById(cmd.accountId));
  }
}
