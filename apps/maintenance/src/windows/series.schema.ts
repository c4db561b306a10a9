import { Audience, WindowImpact } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ _id: false })
export class SeriesRule {
  @Prop({ required: true }) rrule!: string;
  @Prop({ required: true }) timeZone!: string;
  @Prop({ required: true }) start!: string;
  @Prop({ required: true }) end!: string;
  @Prop({ type: [String], default: undefined }) exceptions?: string[];
}

/**
 * A recurring window whose rule has no COUNT or UNTIL: what its next occurrences are made from, and
 * how far they have been made. Read and written by `_id` only; every write is conditional on `rev`.
 */
@Schema({ collection: 'maintenance_series', versionKey: false })
export class MaintenanceSeries {
  /** The series id (`ms_…`). */
  @Prop({ type: String, required: true }) _id!: string;
  /** Occurrence n is the window `<windowIdBase>_<n>`. */
  @Prop({ required: true }) windowIdBase!: string;
  @Prop({ type: SeriesRule, required: true }) rule!: SeriesRule;
  @Prop({ required: true }) title!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ type: [String], required: true }) components!: string[];
  @Prop({ type: String, required: true }) impact!: WindowImpact;
  @Prop({ type: String, required: true }) audience!: Audience;
  @Prop({ type: [String], required: true }) reminderOffsets!: string[];
  @Prop() by?: string;
  @Prop() requestHash?: string;
  /** Occurrences made so far (the last one is `<windowIdBase>_<occurrences>`). */
  @Prop({ required: true }) occurrences!: number;
  /** Every occurrence starting at or before this instant exists. */
  @Prop({ required: true }) generatedUntil!: Date;
  /** When the extension job looks at it next. */
  @Prop({ required: true }) nextExtendAt!: Date;
  @Prop({ required: true }) rev!: number;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) updatedAt!: Date;
}
export const MaintenanceSeriesSchema = SchemaFactory.createForClass(MaintenanceSeries);
