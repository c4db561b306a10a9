import { RecurrenceDto } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { DueSchedule } from '../../common/due-schedule';
import { MaintenanceEnv } from '../../config';
import type { WindowTemplate } from '../create-window/create-window.service';
import { MaintenanceSeries } from '../series.schema';

/** Due-index entries of the job that rolls a series' horizon forward: `s:<seriesId>`. */
export const SERIES_ENTRY = 's:';

/** Open-ended series (rules without COUNT or UNTIL), by `_id`. */
@Injectable()
export class SeriesStore {
  constructor(
    @InjectModel(MaintenanceSeries.name) readonly model: Model<MaintenanceSeries>,
    private readonly due: DueSchedule,
    private readonly config: MaintenanceEnv,
  ) {}

  /** Records a new series (idempotent: a retried request finds the first) and its first extension. */
  async plan(id: string, windowIdBase: string, rule: RecurrenceDto, t: WindowTemplate, occurrences: number, until: number, now: Date): Promise<void> {
    const nextExtendAt = new Date(now.getTime() + this.config.SLADESK_RECURRENCE_EXTEND_MS);
    // The entry before the document: a crash in between leaves an entry that finds nothing, never a series nobody extends.
    await this.due.index.schedule(SERIES_ENTRY + id, nextExtendAt, now);
    // The driver's own update: mongoose's casting of `$setOnInsert` drops the empty arrays (`reminderOffsets: []`).
    await this.model.collection.updateOne(
      { _id: id } as never,
      {
        $setOnInsert: {
          windowIdBase,
          rule: { rrule: rule.rrule, timeZone: rule.timeZone, start: rule.start, end: rule.end, ...(rule.exceptions?.length ? { exceptions: rule.exceptions } : {}) },
          title: t.title,
          description: t.description,
          components: [...t.components],
          impact: t.impact,
          audience: t.audience,
          reminderOffsets: [...t.reminderOffsets],
          ...(t.by ? { by: t.by } : {}),
          ...(t.requestHash ? { requestHash: t.requestHash } : {}),
          occurrences,
          generatedUntil: new Date(until),
          nextExtendAt,
          rev: 1,
          createdAt: now,
          updatedAt: now,
        },
      },
      { upsert: true },
    ).catch((e) => {
      if ((e as { code?: number }).code !== 11000) throw e;
    });
  }

  findById(id: string): Promise<MaintenanceSeries | null> {
    return this.model.findById(id).lean<MaintenanceSeries>();
  }
}
