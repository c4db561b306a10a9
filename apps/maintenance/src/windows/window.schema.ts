import { Audience, EventEnvelope, ReminderView, WindowHistoryEntry, WindowImpact, WindowState, WindowView } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

@Schema({ _id: false })
export class SeriesRef {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) rrule!: string;
  @Prop({ required: true }) timeZone!: string;
  @Prop({ required: true }) occurrence!: number;
}

@Schema({ _id: false })
export class PlannedReminder {
  @Prop({ required: true }) offset!: string;
  @Prop({ required: true }) dueAt!: Date;
}

/** One maintenance window (a one-off, or one occurrence of a recurring window). */
@Schema({ collection: 'maintenance_windows', versionKey: false, minimize: false })
export class MaintenanceWindow implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) title!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ type: [String], required: true, index: true }) components!: string[];
  @Prop({ type: String, required: true }) impact!: WindowImpact;
  @Prop({ type: String, required: true, index: true }) state!: WindowState;
  @Prop({ required: true, index: true }) plannedStart!: Date;
  @Prop({ required: true }) plannedEnd!: Date;
  @Prop() actualStart?: Date;
  @Prop() actualEnd?: Date;
  @Prop({ type: String, required: true }) audience!: Audience;
  @Prop({ type: [String], required: true }) reminderOffsets!: string[];
  /** The schedule's version: +1 with every reschedule; reminders carry it. */
  @Prop({ required: true }) version!: number;
  /** +1 with every change: writes are conditional on it. */
  @Prop({ required: true }) rev!: number;
  @Prop({ type: SeriesRef }) series?: SeriesRef;
  /** The reminders of the current version (those already past when it was planned are skipped). */
  @Prop({ type: [PlannedReminder], default: [] }) reminders!: PlannedReminder[];
  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] }) history!: WindowHistoryEntry[];
  @Prop() requestHash?: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) updatedAt!: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const MaintenanceWindowSchema = SchemaFactory.createForClass(MaintenanceWindow);
MaintenanceWindowSchema.plugin(outboxPlugin);
MaintenanceWindowSchema.index({ 'series.id': 1, plannedStart: 1 });

export function toWindowView(w: MaintenanceWindow, reminderStates: Map<string, ReminderView> = new Map()): WindowView {
  return {
    id: w._id,
    title: w.title,
    description: w.description,
    components: [...w.components],
    impact: w.impact,
    state: w.state,
    plannedStart: w.plannedStart.toISOString(),
    plannedEnd: w.plannedEnd.toISOString(),
    ...(w.actualStart ? { actualStart: w.actualStart.toISOString() } : {}),
    ...(w.actualEnd ? { actualEnd: w.actualEnd.toISOString() } : {}),
    audience: w.audience,
    reminderOffsets: [...w.reminderOffsets],
    version: w.version,
    ...(w.series ? { series: { id: w.series.id, rrule: w.series.rrule, timeZone: w.series.timeZone, occurrence: w.series.occurrence } } : {}),
    reminders: w.reminders.map(
      (r) =>
        reminderStates.get(r.offset) ?? {
          offset: r.offset,
          dueAt: r.dueAt.toISOString(),
          state: w.state === 'scheduled' ? 'pending' : 'cancelled',
        },
    ),
    history: w.history,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}
