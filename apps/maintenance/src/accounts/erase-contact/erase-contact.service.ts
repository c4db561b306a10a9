import { ContactErasedPayload, EventEnvelope } from '@sladesk/contracts';
import { Delivery, DeliveryPack } from '@sladesk/outbound';
import { applyOnce } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { Connection, Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { AccountRepository } from '../account.repository';
import { MaintenanceAccount } from '../account.schema';
import { MaintenanceErasure } from './erasure.schema';

const sha256 = (s: string): string => createHash('sha256').update(s.trim().toLowerCase()).digest('hex');
const PAGE = 500;

/**
 * Maintenance's part of erasing a contact (`contact.erased`): the person is found by the sha256 of
 * their address, never the address itself.
 *
 * - `maintenance_accounts`: their entry in the projected contacts, in the notice preferences
 *   (`noticeContacts`) and in the opt-outs goes. With the event's `accountId`, one `_id` read; without
 *   (an erasure across every account), **a scan of every account**, page by page.
 * - `outbound_deliveries`: every notice delivered (or still to deliver) to them is pseudonymized —
 *   recipient, name and text (the text and the List-Unsubscribe header carry their signed opt-out
 *   link), and one still pending is failed instead of sent to nobody. Found by **a scan of the
 *   deliveries** (of the account, when the event names it: still a scan on FerretDB 1.24, which
 *   pushes down only `{_id}`), since a delivery's id is derived from the address we no longer have.
 *   Intercom deliveries of the same notice and account to the same name go with the mail ones.
 *   The same in `outbound_packs` (a fan-out's deliveries, one document per page): those messages are
 *   pseudonymized in place and marked `erased`, so one not sent yet never is.
 *
 * Idempotent: a redelivery finds nothing left that hashes to the address; `maintenance_erasures`
 * records the erasure once complete.
 */
@Injectable()
export class EraseContactService {
  private readonly logger = new Logger('Erasure');

  constructor(
    private readonly accounts: AccountRepository,
    @InjectModel(MaintenanceErasure.name) private readonly records: Model<MaintenanceErasure>,
    @InjectConnection() private readonly connection: Connection,
  ) {}

  async apply(e: EventEnvelope<ContactErasedPayload>): Promise<void> {
    const p = e.payload;
    const done = await this.records.findById(p.erasureId, { appliedEventIds: 1 }).lean<MaintenanceErasure>();
    if (done?.appliedEventIds?.includes(e.eventId)) return;
    const accounts = await this.eraseFromAccounts(p);
    const deliveries = (await this.eraseDeliveries(p)) + (await this.erasePacked(p));
    await applyOnce(this.records, p.erasureId, e.eventId, { $set: { at: new Date(), accounts, deliveries } });
    this.logger.log(`erasure ${p.erasureId}: ${accounts} accounts, ${deliveries} deliveries`);
  }

  private async eraseFromAccounts(p: ContactErasedPayload): Promise<number> {
    let n = 0;
    if (p.accountId) return (await this.eraseFromAccount(await this.accounts.findById(p.accountId), p.emailSha256)) ? 1 : 0;
    for (let after: string | undefined; ; ) {
      const page = await this.accounts.page(after, PAGE);
      for (const a of page) if (await this.eraseFromAccount(a, p.emailSha256)) n++;
      if (page.length < PAGE) return n;
      after = page[page.length - 1]._id;
    }
  }

  private async eraseFromAccount(a: MaintenanceAccount | null, emailSha256: string): Promise<boolean> {
    if (!a) return false;
    const keep = (email: string) => sha256(email) !== emailSha256;
    const set: Partial<MaintenanceAccount> = {};
    if (a.contacts && !a.contacts.every((c) => keep(c.email))) set.contacts = a.contacts.filter((c) => keep(c.email));
    if (a.noticeContacts && !a.noticeContacts.every((c) => keep(c.email))) set.noticeContacts = a.noticeContacts.filter((c) => keep(c.email));
    if (a.optedOut && !a.optedOut.every(keep)) set.optedOut = a.optedOut.filter(keep);
    if (!Object.keys(set).length) return false;
    await this.accounts.model.updateOne({ _id: a._id }, { $set: set });
    return true;
  }

  private async erasePacked(p: ContactErasedPayload): Promise<number> {
    const col = this.connection.collection<DeliveryPack>('outbound_packs');
    let n = 0;
    for await (const pack of col.find(p.accountId ? { 'items.accountId': p.accountId } : {})) {
      const items = pack.items;
      const named = new Set(items.filter((i) => i.channel === 'email' && sha256(i.to) === p.emailSha256 && i.toName).map((i) => `${i.accountId}|${i.toName}`));
      const set: Record<string, unknown> = {};
      const unset: Record<string, ''> = {};
      items.forEach((i, k) => {
        const hit = i.channel === 'email' ? sha256(i.to) === p.emailSha256 : i.channel === 'intercom' && named.has(`${i.accountId}|${i.toName}`);
        if (!hit || i.erased) return;
        set[`items.${k}.to`] = i.channel === 'email' ? `${p.pseudonym}@erased.invalid` : p.pseudonym;
        set[`items.${k}.toName`] = p.pseudonym;
        set[`items.${k}.text`] = '[erased]';
        set[`items.${k}.erased`] = true;
        unset[`items.${k}.html`] = '';
        unset[`items.${k}.headers`] = '';
        n++;
      });
      if (Object.keys(set).length) await col.updateOne({ _id: pack._id }, { $set: set, $unset: unset });
    }
    return n;
  }

  private async eraseDeliveries(p: ContactErasedPayload): Promise<number> {
    const col = this.connection.collection('outbound_deliveries');
    const scope = p.accountId ? { accountId: p.accountId } : {};
    const projection = { channel: 1, to: 1, toName: 1, noticeId: 1, accountId: 1, state: 1 };
    const hits: Pick<Delivery, '_id' | 'channel' | 'state'>[] = [];
    const named = new Set<string>();
    for await (const d of col.find(scope, { projection })) {
      if (d.channel !== 'email' || typeof d.to !== 'string' || sha256(d.to) !== p.emailSha256) continue;
      hits.push(d as never);
      if (d.toName) named.add(`${d.noticeId}|${d.accountId}|${d.toName}`);
    }
    if (named.size) {
      for await (const d of col.find({ ...scope, channel: 'intercom' }, { projection })) {
        if (named.has(`${d.noticeId}|${d.accountId}|${d.toName}`)) hits.push(d as never);
      }
    }
    for (const d of hits) {
      await col.updateOne(
        { _id: d._id as never },
        {
          $set: {
            to: d.channel === 'email' ? `${p.pseudonym}@erased.invalid` : p.pseudonym,
            toName: p.pseudonym,
            text: '[erased]',
            ...(d.state === 'pending' ? { state: 'failed', lastError: 'the recipient was erased' } : {}),
          },
          $unset: { html: '', headers: '' },
        },
      );
    }
    return hits.length;
  }
}
