import { CompiledCalendar, compileCalendar, nextOpen } from '@sladesk/business-time';

/**
 * When a non-critical notification may go out: the recipient's next working hour, Monday to Friday
 * in their time zone. Calendars are compiled once per zone and hours.
 */
export class WorkingHours {
  private readonly calendars = new Map<string, CompiledCalendar>();

  constructor(
    private readonly defaultZone: string,
    private readonly defaultHours: string,
  ) {}

  calendar(zone = this.defaultZone, hours = this.defaultHours): CompiledCalendar {
    const key = `${zone} ${hours}`;
    let cal = this.calendars.get(key);
    if (!cal) {
      const [start, end] = hours.split('-');
      cal = compileCalendar({
        version: 1,
        name: `Working hours ${zone}`,
        zone,
        windows: [{ days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: { time: start, zone }, end: { time: end, zone } }],
      });
      this.calendars.set(key, cal);
    }
    return cal;
  }

  /** `at` itself when the recipient is working, else the start of their next working hour. */
  nextWorkingInstant(at: Date, zone?: string | null, hours?: string | null): Date {
    return nextOpen(this.calendar(zone ?? undefined, hours ?? undefined), at);
  }
}
