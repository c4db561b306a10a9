import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** That maintenance applied one `contact.erased` (`_id` = erasure id), and what it changed; names no person. */
@Schema({ collection: 'maintenance_erasures', versionKey: false })
export class MaintenanceErasure {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
  @Prop() at?: Date;
  @Prop() accounts?: number;
  @Prop() deliveries?: number;
}
export const MaintenanceErasureSchema = SchemaFactory.createForClass(MaintenanceErasure);
