import { StaffRole } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** Local copy of an account (from account events): who its CSM is, where it is. */
@Schema({ collection: 'esc_accounts', versionKey: false })
export class DirAccount {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) timeZone!: string;
  @Prop({ type: String }) csmId?: string;
  @Prop({ required: true }) version!: number;
}
export const DirAccountSchema = SchemaFactory.createForClass(DirAccount);

/** Local copy of a staff member (from staff events): roles and how to reach them. */
@Schema({ collection: 'esc_staff', versionKey: false })
export class DirStaff {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) email!: string;
  @Prop({ type: [String], index: true }) roles!: StaffRole[];
  @Prop({ required: true }) active!: boolean;
  @Prop({ type: String }) timeZone?: string;
  @Prop({ type: String }) workingHours?: string;
  @Prop({ required: true }) version!: number;
}
export const DirStaffSchema = SchemaFactory.createForClass(DirStaff);
