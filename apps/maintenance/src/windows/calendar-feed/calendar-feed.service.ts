import { CalendarFeed, CalendarFeedQuery } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import ical, { ICalEventStatus } from 'ical-generator';
import mongoose from 'mongoose';
import { AccountRepository } from '../../accounts/account.repository';
import { subscribedTo } from '../../accounts/account.schema';
import { SignedLinks } from '../../common/links';
import { MaintenanceWindow } from '../window.schema';
import { WindowRepository } from '../window.repository';

const PAST_DAYS = 90;
const MAX_EVENTS = 1000;

/**
 * The iCalendar feed a customer subscribes to (RFC 5545): the windows their account is told about,
 * from 90 days back on, each occurrence of a recurring window its own event. Times are UTC (`…Z`), so
 * every calendar shows them in its reader's zone; a reschedule raises SEQUENCE, a cancellation keeps
 * the event with STATUS:CANCELLED so calendars remove it.
 */
@Injectable()
export class CalendarFeedService {
  constructor(
    private readonly windows: WindowRepository,
    private readonly accounts: AccountRepository,
    private readonly links: SignedLinks,
  ) {}

  async execute(q: CalendarFeedQuery, now = new Date()): Promise<CalendarFeed> {
    if (!q.staff) this.links.checkCalendar(q.accountId ?? '', q.token);
    const account = q.accountId ? await this.accounts.findById(q.accountId) : null;
    const rows = await this.windows.model
      .find({ plannedEnd: mongoose.trusted({ $gte: new Date(now.getTime() - PAST_DAYS * 86_400_000) }) }, { outbox: 0 })
      .sort({ plannedStart: 1, _id: 1 })
      .limit(MAX_EVENTS)
      .lean<MaintenanceWindow[]>();
    const shown = rows.filter((w) => !q.accountId || w.audience === 'all' || !account || subscribedTo(account, w.components));
    const cal = ical({
      name: account?.name ? `Maintenance — ${account.name}` : 'Maintenance windows',
      prodId: { company: 'SLA Desk', product: 'maintenance', language: 'EN' },
      ttl: 3600,
    });
    for (const w of shown) {
      cal.createEvent({
        id: `${w._id}@sladesk`,
        sequence: w.version - 1,
        start: w.actualStart ?? w.plannedStart,
        end: w.actualEnd ?? w.plannedEnd,
        stamp: w.updatedAt,
        summary: `Maintenance: ${w.title}`,
        description: `${w.description ? `${w.description}\n\n` : ''}Components: ${w.components.join(', ')}\nExpected impact: ${w.impact}\nState: ${w.state.replace('_', ' ')}`,
        status: w.state === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
        categories: [{ name: 'maintenance' }],
      });
    }
    return { ics: cal.toString(), events: shown.length };
  }
}
