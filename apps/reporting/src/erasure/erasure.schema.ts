import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * That reporting applied one `contact.erased` (`_id` = erasure id), and what it changed. Names no
 * person: counts and the ids of the exports it removed. Emptied by a rebuild with the read models, so
 * the replayed stream erases the person again.
 */
@Schema({ collection: 'rm_erasures', versionKey: false })
export class RmErasure {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
  @Prop() at?: Date;
  @Prop() cases?: number;
  @Prop() entries?: number;
  @Prop() notices?: number;
  @Prop() escalations?: number;
  @Prop({ type: [String], default: undefined }) exportsRemoved?: string[];
}
export const RmErasureSchema = SchemaFactory.createForClass(RmErasure);
