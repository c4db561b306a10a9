import { DueEntry } from '@sladesk/persistence';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DueSchedule } from '../../common/due-schedule';
import { MaintenanceEnv } from '../../config';
import { CreateWindowService, occurrenceDoc, WindowTemplate } from '../create-window/create-window.service';
import { extendRecurrence } from '../create-window/recurrence';
import { MaintenanceSeries } from '../series.schema';
import { SERIES_ENTRY, SeriesStore } from './series.store';

/**
 * Rolls the horizon of open-ended series forward: every SLADESK_RECURRENCE_EXTEND_MS a due entry per
 * series makes the occurrences that now fall within SLADESK_RECURRENCE_HORIZON_DAYS. Occurrence n is
 * always the window `<base>_<n>` with the same start (the n-th after the series' `generatedUntil`
 * counted from its `occurrences`), so two instances running it at once write the same windows (the
 * second create finds the first) and only one advances the series (conditional on `rev`).
 */
@Injectable()
export class ExtendSeriesService implements OnModuleInit {
  private readonly logger = new Logger(ExtendSeriesService.name);

  constructor(
    private readonly due: DueSchedule,
    private readonly series: SeriesStore,
    private readonly create: CreateWindowService,
    private readonly config: MaintenanceEnv,
  ) {}

  onModuleInit(): void {
    this.due.on(SERIES_ENTRY, (entry) => this.fire(entry));
  }

  async fire(entry: DueEntry, now = new Date()): Promise<void> {
    const id = entry.id.slice(SERIES_ENTRY.length);
    const s = await this.series.findById(id);
    if (!s) return this.due.index.done(entry);
    await this.extend(s, now);
    // Whoever advanced it, the series now says when to look again: both instances schedule the same entry.
    const current = (await this.series.findById(id)) ?? s;
    await this.due.index.schedule(entry.id, current.nextExtendAt, now);
    await this.due.index.done(entry);
  }

  /** Makes the occurrences up to the horizon from `now`; returns how many windows this call added to the series. */
  async extend(s: MaintenanceSeries, now: Date): Promise<number> {
    const horizon = now.getTime() + this.config.SLADESK_RECURRENCE_HORIZON_DAYS * 86_400_000;
    const next = extendRecurrence(s.rule, s.generatedUntil.getTime(), horizon, this.config.SLADESK_RECURRENCE_BATCH);
    const template: WindowTemplate = {
      title: s.title,
      description: s.description,
      components: s.components,
      impact: s.impact,
      audience: s.audience,
      reminderOffsets: s.reminderOffsets ?? [],
      ...(s.by ? { by: s.by } : {}),
      ...(s.requestHash ? { requestHash: s.requestHash } : {}),
      series: { id: s._id, rrule: s.rule.rrule, timeZone: s.rule.timeZone },
    };
    const docs = next.occurrences.map((o, i) => occurrenceDoc(template, `${s.windowIdBase}_${s.occurrences + i + 1}`, o, s.occurrences + i + 1, now));
    await this.create.persist(docs, now);
    // A cap-limited expansion continues at the next tick, not after a whole interval.
    const capped = next.until < horizon;
    const nextExtendAt = new Date(now.getTime() + (capped ? this.config.SLADESK_MAINTENANCE_TICK_MS : this.config.SLADESK_RECURRENCE_EXTEND_MS));
    const res = await this.series.model.updateOne(
      { _id: s._id, rev: s.rev },
      { $set: { occurrences: s.occurrences + docs.length, generatedUntil: new Date(next.until), nextExtendAt, updatedAt: now }, $inc: { rev: 1 } },
    );
    if (res.modifiedCount !== 1) return 0;
    if (docs.length) this.logger.log(`series ${s._id}: ${docs.length} occurrence(s) up to ${new Date(next.until).toISOString()}`);
    return docs.length;
  }
}
