import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

// The support record's export read model (see record-packs.service.ts): resolved cases' rows
// pre-rendered into packs, the heads that hand out pack slots, and the cases kept loose. All derived
// from rm_cases by the projection, emptied and rebuilt with the other read models.

/** `<month>:<account>:<n>`: up to PACK_MAX_ROWS rendered rows of resolved cases, one deflated blob (pack-format.ts). */
@Schema({ collection: 'rm_record_packs', versionKey: false })
export class RmRecordPack {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) month!: string;
  @Prop({ required: true }) accountId!: string;
  @Prop({ required: true }) n!: number;
  @Prop({ required: true }) v!: number;
  @Prop({ required: true }) rev!: number;
  @Prop({ required: true }) count!: number;
  @Prop({ required: true }) bytes!: number;
  @Prop({ required: true }) ids!: string;
  @Prop({ type: Buffer, required: true }) data!: Buffer;
}
export const RmRecordPackSchema = SchemaFactory.createForClass(RmRecordPack);

/** `<month>:<account>`: the pack taking new cases (`n`; packs 0..n exist) and how full it is. */
@Schema({ collection: 'rm_record_heads', versionKey: false })
export class RmRecordHead {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) month!: string;
  @Prop({ required: true }) accountId!: string;
  @Prop({ required: true }) n!: number;
  @Prop({ required: true }) rows!: number;
  @Prop({ required: true }) bytes!: number;
}
export const RmRecordHeadSchema = SchemaFactory.createForClass(RmRecordHead);

/**
 * A case of the record not (validly) packed, `_id` = case id: open (or reopened), or resolved with a
 * row too big to pack. The export reads these from rm_cases and skips their packed rows, if any.
 * Bounded by the open work, not the history; on MongoDB the export finds them by index.
 */
@Schema({ collection: 'rm_record_loose', versionKey: false })
export class RmRecordLoose {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) month!: string;
  @Prop({ required: true }) accountId!: string;
  @Prop({ required: true }) receivedAt!: string;
}
export const RmRecordLooseSchema = SchemaFactory.createForClass(RmRecordLoose);
RmRecordLooseSchema.index({ month: 1, accountId: 1 });

export const RECORD_PACK_MODELS = [
  { name: RmRecordPack.name, schema: RmRecordPackSchema },
  { name: RmRecordHead.name, schema: RmRecordHeadSchema },
  { name: RmRecordLoose.name, schema: RmRecordLooseSchema },
];
export const RECORD_PACK_COLLECTIONS = ['rm_record_packs', 'rm_record_heads', 'rm_record_loose'];
