import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** That escalation applied one `contact.erased` (`_id` = erasure id), and what it changed; names no person. */
@Schema({ collection: 'esc_erasures', versionKey: false })
export class EscErasure {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
  @Prop() at?: Date;
  @Prop() escalations?: number;
  @Prop() notifications?: number;
}
export const EscErasureSchema = SchemaFactory.createForClass(EscErasure);
