import { CalendarSpec, isBusinessTimeError, nextClose, nextOpen, isOpen, validateCalendarSpec, compileCalendar } from '@sladesk/business-time';
import { AppError, CalendarView, CreateCalendarRequest, ListCalendarsQuery, UpdateCalendarCommand } from '@sladesk/contracts';
import { mongo } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { isDuplicate } from '../storage';
import { RecomputeService } from '../recompute/recompute.service';
import { CalendarDoc, SlaRegistry, slaCollections } from '../policies/sla-registry';


/** Rejects a spec the business-time engine would not accept, with every problem and its path. */
export function checkCalendarSpec(spec: unknown): CalendarSpec {
  const problems = validateCalendarSpec(spec);
  if (problems.length > 0) {
    throw new AppError('CALENDAR.INVALID_SPEC', `invalid calendar spec: ${problems[0]!.message}`, problems);
  }
  try {
    compileCalendar(spec as CalendarSpec);
  } catch (e) {
    if (isBusinessTimeError(e)) throw new AppError('CALENDAR.INVALID_SPEC', e.message, e.problems.length ? e.problems : [{ path: '', code: e.code, message: e.message }]);
    throw e;
  }
  return spec as CalendarSpec;
}

/** Calendars: versioned; a new version recomputes the clocks of open cases whose policy uses it. */
export class CalendarsService {
  private readonly c: ReturnType<typeof slaCollections>;

  constructor(
    db: mongo.Db,
    private readonly registry: SlaRegistry,
    private readonly recompute: RecomputeService,
  ) {
    this.c = slaCollections(db);
  }

  async create(req: CreateCalendarRequest, options: { builtin?: boolean; quiet?: boolean } = {}): Promise<CalendarView> {
    const spec = checkCalendarSpec(req.spec);
    const id = req.id ?? uuidv7();
    const now = new Date();
    const text = JSON.stringify(spec);
    try {
      // The version document is the unique claim on the id (and the immutable copy cases refer to).
      await this.c.calendarVersions.insertOne({ _id: `${id}:1`, calendarId: id, version: 1, name: req.name, spec: text, createdAt: now });
    } catch (e) {
      if (!isDuplicate(e)) throw e;
      if (await this.c.calendars.findOne({ _id: id }, { projection: { _id: 1 } })) throw new AppError('CALENDAR.ALREADY_EXISTS', `calendar ${id} already exists`);
      // a create that stopped between its two writes: finish it
    }
    const doc: CalendarDoc = { _id: id, name: req.name, version: 1, spec: text, builtin: options.builtin ?? false, createdAt: now, updatedAt: now };
    await this.c.calendars.insertOne(doc).catch((e) => {
      if (!isDuplicate(e)) throw e;
    });
    if (!options.quiet) await this.registry.changed();
    return this.view(doc);
  }

  async list(q: ListCalendarsQuery): Promise<CalendarView[]> {
    const docs = await this.c.calendars.find({}).toArray();
    const needle = q.name?.toLowerCase();
    return docs
      .filter((d) => !needle || d.name.toLowerCase().includes(needle))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a._id.localeCompare(b._id))
      .map((d) => this.view(d));
  }

  async get(id: string): Promise<CalendarView> {
    return this.view(await this.load(id));
  }

  async update(cmd: UpdateCalendarCommand): Promise<CalendarView> {
    const spec = checkCalendarSpec(cmd.spec);
    const head = await this.load(cmd.id);
    if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== head.version) {
      throw new AppError('SLA.VERSION_CONFLICT', `calendar ${cmd.id} is at version ${head.version}, not ${cmd.expectedVersion}`);
    }
    const version = head.version + 1;
    const now = new Date();
    const text = JSON.stringify(spec);
    try {
      await this.c.calendarVersions.insertOne({ _id: `${cmd.id}:${version}`, calendarId: cmd.id, version, name: cmd.name, spec: text, createdAt: now });
    } catch (e) {
      if (isDuplicate(e)) throw new AppError('SLA.VERSION_CONFLICT', `calendar ${cmd.id} was changed concurrently; read it and retry`);
      throw e;
    }
    // Only the winner of the version insert writes the head.
    await this.c.calendars.updateOne({ _id: cmd.id }, { $set: { name: cmd.name, spec: text, version, updatedAt: now } });
    await this.registry.changed();
    await this.recompute.forCalendar(cmd.id, `calendar ${cmd.id} v${version}`);
    return this.view({ ...head, name: cmd.name, spec: text, version, updatedAt: now });
  }

  private async load(id: string): Promise<CalendarDoc> {
    const doc = await this.c.calendars.findOne({ _id: id });
    if (!doc) throw new AppError('CALENDAR.NOT_FOUND', `calendar ${id} not found`);
    return doc;
  }

  private view(d: CalendarDoc): CalendarView {
    const spec = JSON.parse(d.spec) as Record<string, unknown>;
    const at = new Date();
    const now: CalendarView['now'] = { at: at.toISOString(), open: false };
    try {
      const cal = this.registry.compiledFor(d);
      now.open = isOpen(cal, at);
      if (!now.open) now.nextOpen = nextOpen(cal, at).toISOString();
      now.nextClose = nextClose(cal, at).toISOString();
    } catch (e) {
      if (!isBusinessTimeError(e)) throw e; // a 24×7 calendar never closes; an empty one never opens
    }
    return {
      id: d._id,
      name: d.name,
      version: d.version,
      spec,
      builtin: d.builtin,
      now,
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    };
  }
}
