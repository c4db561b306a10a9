import { EventEnvelope, StaffRole, StaffView } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'staff', timestamps: true, versionKey: false })
export class Staff implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true, unique: true, lowercase: true }) email!: string;
  @Prop({ type: [String], required: true }) roles!: StaffRole[];
  @Prop({ index: true }) intercomAdminId?: string;
  @Prop() timeZone?: string;
  @Prop() workingHours?: string;
  @Prop({ default: true }) active!: boolean;
  /** Increases with every change; updates are conditional on it. */
  @Prop({ required: true }) version!: number;
  @Prop({ required: true, unique: true }) idempotencyScope!: string;
  @Prop({ required: true }) requestHash!: string;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}
export const StaffSchema = SchemaFactory.createForClass(Staff);
StaffSchema.plugin(outboxPlugin);

export const toStaffView = (s: Staff): StaffView => ({
  id: s._id,
  name: s.name,
  email: s.email,
  roles: [...s.roles],
  ...(s.intercomAdminId ? { intercomAdminId: s.intercomAdminId } : {}),
  ...(s.timeZone ? { timeZone: s.timeZone } : {}),
  ...(s.workingHours ? { workingHours: s.workingHours } : {}),
  active: s.active,
  version: s.version,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});
