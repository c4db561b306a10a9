import { Audience, NoticeKind } from '@sladesk/contracts';
import { SERVICE_RUNTIME, ServiceRuntime } from '@sladesk/messaging';
import { OutboundMessage, Outbound } from '@sladesk/outbound';
import { DueEntry, isDuplicateKey } from '@sladesk/persistence';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { AccountRepository } from '../accounts/account.repository';
import { MaintenanceAccount, recipientsOf, subscribedTo } from '../accounts/account.schema';
import { DueSchedule } from '../common/due-schedule';
import { SignedLinks } from '../common/links';
import { Notice } from './notice.schema';
import { Rendered, render, toHtml } from './templates';

export const NOTICE_ENTRY = 'n:';
const LEASE_MS = 60_000;
/** Accounts per outbound pack (one document of deliveries, one recovery entry)… */
const PAGE_ACCOUNTS = 250;
/** …but the first page of a run is smaller: its pack is written sooner, so sending starts while the next is read. */
const FIRST_PAGE_ACCOUNTS = 50;
/** …or fewer, once their messages reach this many (≈ 1 KB each). */
const PAGE_MESSAGES = 1000;
/** Accounts per batch of the accounts cursor. */
const READ_ACCOUNTS = 1000;
const DEFAULT_TIME_ZONE = 'UTC';

export interface NewNotice {
  id: string;
  kind: NoticeKind;
  security: boolean;
  windowId?: string;
  advisoryId?: string;
  components: string[];
  audience: Audience;
  data: Record<string, unknown>;
}

/**
 * Turns a notice into deliveries: every account it concerns (all, or those subscribed to an affected
 * component), each of their notification contacts (opted-out ones only for security notices), by email
 * and, for contacts with an Intercom user, as an Intercom message; times in the account's zone.
 *
 * Reads the accounts collection in `_id` order, 1000 at a time (a background job; the cursor saved
 * after every page of 250 lets another instance resume after a crash). Each page is one outbound pack
 * (`packed`: one document for its deliveries). A lease on the notice keeps two instances from fanning
 * it out at once; the page in hand-over is recorded on the notice before its pack is written, so a
 * resumed fan-out neither sends a written page again nor skips one that was not written.
 */
@Injectable()
export class NoticeFanout implements OnModuleInit {
  private readonly logger = new Logger(NoticeFanout.name);
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @InjectModel(Notice.name) readonly model: Model<Notice>,
    private readonly accounts: AccountRepository,
    private readonly outbound: Outbound,
    private readonly links: SignedLinks,
    private readonly due: DueSchedule,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  onModuleInit(): void {
    this.due.on(NOTICE_ENTRY, async (entry) => {
      this.start(entry.id.slice(NOTICE_ENTRY.length), entry);
    });
  }

  /** Records the notice (once: its id comes from its cause) and fans it out. */
  async create(n: NewNotice, now = new Date()): Promise<void> {
    await this.due.index.schedule(NOTICE_ENTRY + n.id, now, now);
    try {
      await this.model.create({ _id: n.id, ...n, state: 'pending', accounts: 0, deliveries: 0, dueAt: now, leaseUntil: new Date(0), createdAt: now });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    this.start(n.id);
  }

  /** Waits for the fan-outs this process runs (tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  private start(id: string, entry?: DueEntry): void {
    if (this.running.has(id)) return;
    const run = this.fanOut(id, entry)
      .catch((e) => this.logger.warn(`notice ${id} fan-out interrupted, will resume: ${(e as Error).message}`))
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async claim(id: string): Promise<{ notice: Notice; lease: Date } | null> {
    const now = new Date();
    const lease = new Date(now.getTime() + LEASE_MS);
    const notice = await this.model
      .findOneAndUpdate(
        { _id: id, state: mongoose.trusted({ $ne: 'done' }), leaseUntil: mongoose.trusted({ $lte: now }) },
        { $set: { state: 'fanning_out', leaseUntil: lease, leaseOwner: this.runtime.instanceId } },
        { new: true },
      )
      .lean<Notice>();
    return notice ? { notice, lease } : null;
  }

  private async fanOut(id: string, entry?: DueEntry): Promise<void> {
    const claimed = await this.claim(id);
    if (!claimed) {
      const n = await this.model.findById(id, { state: 1, leaseUntil: 1 }).lean<Notice>();
      if (entry && (!n || n.state === 'done')) await this.due.index.done(entry);
      else if (entry && n) {
        // Another instance is at it: look again when its lease ends.
        await this.due.index.schedule(entry.id, new Date(n.leaseUntil.getTime() + 1000));
        await this.due.index.done(entry);
      }
      return;
    }
    const { notice } = claimed;
    let lease = claimed.lease;
    if (notice.inflight) {
      // The page in hand-over when the last holder stopped: done if its pack was written.
      const written = await this.outbound.packWritten(notice.inflight.batchKey);
      const res = await this.model.updateOne(
        { _id: id, leaseUntil: lease },
        written
          ? { $set: { cursor: notice.inflight.last }, $unset: { inflight: '' }, $inc: { accounts: written.accounts, deliveries: written.messages } }
          : { $unset: { inflight: '' } },
      );
      if (res.matchedCount !== 1) throw new Error('lost the lease on the notice');
      if (written) notice.cursor = notice.inflight.last;
    }
    // While we work, the entry is due when our lease ends (another instance resumes if we die).
    await this.due.index.schedule(NOTICE_ENTRY + id, new Date(lease.getTime() + 1000));
    if (entry) await this.due.index.done(entry);
    await this.due.index.cancel(NOTICE_ENTRY + id, notice.dueAt);

    const perZone = new Map<string, Rendered>();
    const renderIn = (tz: string) => {
      let r = perZone.get(tz);
      if (!r) perZone.set(tz, (r = render(notice.kind, { ...notice.data, security: notice.security }, tz)));
      return r;
    };

    let page: MaintenanceAccount[] = [];
    let messages: OutboundMessage[] = [];
    let pageAccounts = FIRST_PAGE_ACCOUNTS;
    const flush = async () => {
      if (page.length === 0) return;
      const batchKey = `${id}|${page[0]._id}`;
      const last = page[page.length - 1]._id;
      const marked = await this.model.updateOne({ _id: id, leaseUntil: lease }, { $set: { inflight: { batchKey, last } } });
      if (marked.matchedCount !== 1) throw new Error('lost the lease on the notice');
      const { created } = await this.outbound.enqueue({ noticeId: id, topic: notice.kind, batchKey, messages, packed: true });
      const next = new Date(Date.now() + LEASE_MS);
      const res = await this.model.updateOne(
        { _id: id, leaseUntil: lease },
        {
          $set: { cursor: last, leaseUntil: next },
          $unset: { inflight: '' },
          $inc: { accounts: created ? page.filter((a) => messages.some((m) => m.accountId === a._id)).length : 0, deliveries: created },
        },
      );
      if (res.modifiedCount !== 1) throw new Error('lost the lease on the notice');
      lease = next;
      page = [];
      messages = [];
      pageAccounts = PAGE_ACCOUNTS;
    };

    // One cursor over the accounts after the saved position (a query per page would be a scan per page
    // on FerretDB, which pushes down only `_id` equality: 10 scans of 10,000 accounts took 15 s of a 20 s fan-out).
    for await (const account of this.accounts.from(notice.cursor, READ_ACCOUNTS)) {
      if (!account.version && !account.noticeContacts?.length) continue; // preferences for an account intake never announced
      if (notice.audience === 'subscribers' && !subscribedTo(account, notice.components)) continue;
      page.push(account);
      messages.push(...this.messagesFor(notice, account, renderIn(account.timeZone ?? DEFAULT_TIME_ZONE)));
      // A pack is one document: accounts with many contacts make smaller pages (MongoDB's limit is 16 MB).
      if (page.length >= pageAccounts || messages.length >= PAGE_MESSAGES) await flush();
    }
    await flush();
    await this.model.updateOne({ _id: id, leaseUntil: lease }, { $set: { state: 'done', completedAt: new Date(), leaseUntil: new Date(0) } });
    await this.due.index.cancel(NOTICE_ENTRY + id, new Date(claimed.lease.getTime() + 1000));
    this.logger.log(`notice ${id} fanned out`);
  }

  private messagesFor(notice: Notice, account: MaintenanceAccount, content: Rendered): OutboundMessage[] {
    const out: OutboundMessage[] = [];
    const refs = { ...(notice.windowId ? { windowId: notice.windowId } : {}), ...(notice.advisoryId ? { advisoryId: notice.advisoryId } : {}) };
    for (const r of recipientsOf(account)) {
      if (!notice.security && !r.receivesNotices) continue;
      let text = content.text;
      let headers: Record<string, string> | undefined;
      if (!notice.security) {
        const url = this.links.optOutUrl(account._id, r.email);
        text += `\n\n--\nYou receive this as a notification contact of ${account.name ?? account._id}. Stop non-security notices: ${url}`;
        headers = { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
      } else {
        text += `\n\n--\nSecurity notices reach every notification contact of ${account.name ?? account._id}.`;
      }
      out.push({ channel: 'email', to: r.email, toName: r.name, subject: content.subject, text, ...(headers ? { headers } : {}), accountId: account._id, refs });
      if (r.intercomUserId) {
        out.push({ channel: 'intercom', to: r.intercomUserId, toName: r.name, subject: content.subject, text, html: toHtml(`${content.subject}\n\n${text}`), accountId: account._id, refs });
      }
    }
    return out;
  }
}
