import { AppError, CreatedWindowView, CreateWindowCommand, Events } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { canonicalOffset, durationMs } from '../../common/durations';
import { MaintenanceEnv } from '../../config';
import { ReminderStore } from '../../reminders/reminder.store';
import { MaintenanceWindow } from '../window.schema';
import { WindowRepository } from '../window.repository';
import { isOpenEnded, Occurrence, planRecurrence } from './recurrence';
import { SeriesStore } from '../extend-series/series.store';

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('base64url');

/** The reminders of a schedule: `offset` before the start, those already past skipped. */
export function planReminders(offsets: string[], plannedStart: Date, now: Date): { offset: string; dueAt: Date }[] {
  return offsets
    .map((offset) => ({ offset, dueAt: new Date(plannedStart.getTime() - durationMs(offset)) }))
    .filter((r) => r.dueAt.getTime() > now.getTime());
}

/** What every occurrence of a window (or series) shares. */
export interface WindowTemplate {
  title: string;
  description: string;
  components: string[];
  impact: MaintenanceWindow['impact'];
  audience: MaintenanceWindow['audience'];
  reminderOffsets: string[];
  by?: string;
  requestHash?: string;
  series?: { id: string; rrule: string; timeZone: string };
}

/** The document of one window (`ordinal`: its place in the series). */
export function occurrenceDoc(t: WindowTemplate, id: string, o: Occurrence, ordinal: number, now: Date): Omit<MaintenanceWindow, 'outbox'> {
  return {
    _id: id,
    title: t.title,
    description: t.description,
    components: [...t.components],
    impact: t.impact,
    state: 'scheduled',
    plannedStart: o.start,
    plannedEnd: o.end,
    audience: t.audience,
    reminderOffsets: t.reminderOffsets,
    version: 1,
    rev: 1,
    ...(t.series ? { series: { ...t.series, occurrence: ordinal } } : {}),
    reminders: planReminders(t.reminderOffsets, o.start, now),
    history: [{ at: now.toISOString(), action: 'scheduled', ...(t.by ? { by: t.by } : {}) }],
    ...(t.requestHash ? { requestHash: t.requestHash } : {}),
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Schedules a maintenance window, or every occurrence of a recurring one (each its own window, with
 * its own reminders and notices). With an Idempotency-Key the ids derive from it, so a retry returns
 * the first result.
 */
@Injectable()
export class CreateWindowService {
  constructor(
    private readonly windows: WindowRepository,
    private readonly reminders: ReminderStore,
    private readonly config: MaintenanceEnv,
    private readonly series: SeriesStore,
  ) {}

  async execute(cmd: CreateWindowCommand, now = new Date()): Promise<CreatedWindowView> {
    const { idempotencyKey, ...body } = cmd;
    const requestHash = hash(body);
    const offsets = [...new Set((cmd.reminderOffsets ?? this.config.SLADESK_REMINDER_OFFSETS).map(canonicalOffset))];
    const expansion = cmd.recurrence
      ? planRecurrence(cmd.recurrence, this.config.SLADESK_RECURRENCE_HORIZON_DAYS, now, this.config.SLADESK_RECURRENCE_BATCH)
      : { occurrences: [this.single(cmd)], until: Infinity };
    if (cmd.recurrence && (cmd.plannedStart || cmd.plannedEnd))
      throw new AppError('MAINTENANCE_WINDOW.INVALID_TIMES', 'give either plannedStart/plannedEnd or recurrence, not both');
    const base = idempotencyKey ? `mw_${hash(['key', idempotencyKey]).slice(0, 24)}` : `mw_${uuidv7()}`;
    const seriesId = cmd.recurrence ? base.replace(/^mw_/, 'ms_') : undefined;
    const template: WindowTemplate = {
      title: cmd.title,
      description: cmd.description ?? '',
      components: [...cmd.components],
      impact: cmd.impact,
      audience: cmd.audience ?? 'all',
      reminderOffsets: offsets,
      ...(cmd.by ? { by: cmd.by } : {}),
      requestHash,
      ...(seriesId ? { series: { id: seriesId, rrule: cmd.recurrence!.rrule, timeZone: cmd.recurrence!.timeZone } } : {}),
    };
    const docs = expansion.occurrences.map((o, i) => occurrenceDoc(template, seriesId ? `${base}_${i + 1}` : base, o, i + 1, now));
    // An open-ended rule's series first: the job that rolls its horizon forward makes the occurrences after these.
    if (seriesId && isOpenEnded(cmd.recurrence!)) await this.series.plan(seriesId, base, cmd.recurrence!, template, docs.length, expansion.until, now);
    await this.persist(docs, now);
    const first = await this.windows.view(await this.windows.get(docs[0]._id));
    return seriesId ? { ...first, occurrences: docs.map((d) => ({ id: d._id, plannedStart: d.plannedStart.toISOString(), plannedEnd: d.plannedEnd.toISOString() })) } : first;
  }

  /** Writes windows (reminders first, then each window with its event); one that exists already is left as it is. */
  async persist(docs: Omit<MaintenanceWindow, 'outbox'>[], now: Date): Promise<void> {
    // Reminders first (they re-check their window when due), then the windows with their events.
    for (const d of docs) await this.reminders.plan(d, now);
    for (const d of docs) {
      const event = outboxEvent(
        Events.MaintenanceScheduled,
        {
          windowId: d._id,
          title: d.title,
          components: d.components,
          impact: d.impact,
          plannedStart: d.plannedStart.toISOString(),
          plannedEnd: d.plannedEnd.toISOString(),
          version: 1,
          ...(d.series ? { seriesId: d.series.id } : {}),
          at: now.toISOString(),
        },
        now,
      );
      try {
        await this.windows.model.create({ ...d, outbox: [event] });
        this.windows.relay.published(this.windows.model, d._id);
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        const earlier = await this.windows.get(d._id);
        if (earlier.requestHash !== d.requestHash) throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used for a different request');
      }
    }
  }

  private single(cmd: CreateWindowCommand): { start: Date; end: Date } {
    const start = new Date(cmd.plannedStart!);
    const end = new Date(cmd.plannedEnd!);
    if (!(end.getTime() > start.getTime())) throw new AppError('MAINTENANCE_WINDOW.INVALID_TIMES', 'plannedEnd must be after plannedStart');
    return { start, end };
  }
}
