import {
  Actor,
  AttachmentView,
  CaseStatus,
  CaseView,
  Category,
  Channel,
  ClassificationReason,
  EventEnvelope,
  Severity,
  TimelineEntryView,
  TimelineKind,
} from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { Delivery, DeliverySchema } from '../channels/delivery/delivery.schema';

@Schema({ _id: false })
export class Contact {
  @Prop({ required: true }) name!: string;
  @Prop({ required: true, lowercase: true }) email!: string;
}
export const ContactSchema = SchemaFactory.createForClass(Contact);

@Schema({ _id: false })
export class ActorRef implements Actor {
  @Prop({ type: String, required: true }) kind!: Actor['kind'];
  @Prop() id?: string;
  @Prop({ required: true }) name!: string;
}

@Schema({ _id: false })
export class Attachment implements AttachmentView {
  @Prop({ required: true }) filename!: string;
  @Prop({ required: true }) contentType!: string;
  @Prop({ required: true }) size!: number;
  @Prop({ required: true }) sha256!: string;
}
export const AttachmentSchema = SchemaFactory.createForClass(Attachment);

@Schema({ _id: false })
export class Reason implements ClassificationReason {
  @Prop({ type: String, required: true }) source!: ClassificationReason['source'];
  @Prop() rule?: string;
  @Prop() matched?: string;
}

@Schema({ _id: false })
export class Classification {
  @Prop({ type: Reason, required: true }) severity!: Reason;
  @Prop({ type: Reason, required: true }) category!: Reason;
}

/** One timeline entry. Everything but `requestHash` and `hash` is covered by `hash` (see timeline.ts). */
@Schema({ _id: false })
export class TimelineEntry {
  @Prop({ required: true }) seq!: number;
  @Prop({ type: String, required: true }) kind!: TimelineKind;
  @Prop({ required: true }) at!: Date;
  @Prop({ required: true }) recordedAt!: Date;
  @Prop({ type: ActorRef, required: true }) actor!: ActorRef;
  @Prop({ default: '' }) text!: string;
  @Prop({ type: MongooseSchema.Types.Mixed }) data?: Record<string, unknown>;
  @Prop({ type: [AttachmentSchema], default: undefined }) attachments?: Attachment[];
  /** Where the entry came from, so a retry or redelivery is recognised: `key:<Idempotency-Key>`, `intercom:<id>`, `email:<Message-ID>`. */
  @Prop() source?: string;
  /** Fingerprint of the request behind `source = key:…`, to refuse a key reused for another request. */
  @Prop() requestHash?: string;
  /**
   * Hash version 2: the entry's personal data (its text, a contact's name, addresses, the subject)
   * stays beside the hashed facts and is committed to by salted hashes; erasing it removes the values
   * and the salt, the commitments stay and the chain still verifies (see timeline.ts).
   */
  @Prop({ type: MongooseSchema.Types.Mixed }) pd?: PersonalDataCommitments;
  @Prop({ required: true }) prevHash!: string;
  @Prop({ required: true }) hash!: string;
}

/** `c`: path (`text`, `actor/name`, `data/contactEmail` …) → sha256(salt, path, value). */
export interface PersonalDataCommitments {
  salt?: string;
  c: Record<string, string>;
  erased?: boolean;
}
const TimelineEntrySchema = SchemaFactory.createForClass(TimelineEntry);

/** Where older timeline entries went: `case_timeline/<id>` holds entries `from`..`to`. */
@Schema({ _id: false })
export class BucketRef {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) from!: number;
  @Prop({ required: true }) to!: number;
}
const BucketRefSchema = SchemaFactory.createForClass(BucketRef);

/**
 * Older entries of one case's timeline, moved out of the case document so that a change never reads
 * and rewrites an ever larger document. Immutable once written; `_id` = `<caseId>:<from>-<to>`.
 */
@Schema({ collection: 'case_timeline', versionKey: false })
export class TimelineBucket {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) caseId!: string;
  @Prop({ required: true }) from!: number;
  @Prop({ required: true }) to!: number;
  @Prop({ type: [TimelineEntrySchema], required: true }) entries!: TimelineEntry[];
}
export const TimelineBucketSchema = SchemaFactory.createForClass(TimelineBucket);

@Schema({ _id: false })
export class FirstResponse {
  @Prop({ required: true }) at!: Date;
  @Prop({ type: ActorRef, required: true }) by!: ActorRef;
}

@Schema({ _id: false })
export class Resolution {
  @Prop({ required: true }) at!: Date;
  @Prop({ type: ActorRef, required: true }) by!: ActorRef;
  @Prop({ required: true }) summary!: string;
}

/**
 * A case and its record. The newest timeline entries live in the document: an entry, the state change
 * it records, the events it causes and the messages it sends are written in one single-document
 * update. Older entries move to `case_timeline` buckets (see timeline.store.ts), so the document stays
 * bounded however long the case runs.
 */
@Schema({ collection: 'cases', timestamps: true, versionKey: false })
export class Case implements WithOutbox {
  /** uuid v7: time-ordered, so `_id` order is creation order (cursor pagination relies on it). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, unique: true }) number!: number;
  @Prop({ required: true, index: true }) accountId!: string;
  /** `accountId:Idempotency-Key`, `intercom:<conversation>`, `email:<Message-ID>`, or the id itself: always set, so unique works everywhere. */
  @Prop({ required: true, unique: true }) idempotencyScope!: string;
  /** Fingerprint of the request body that created the case, to reject a key reused for another body. */
  @Prop({ required: true }) requestHash!: string;
  @Prop({ type: Contact, required: true }) contact!: Contact;
  @Prop({ type: String, required: true }) channel!: Channel;
  @Prop({ required: true }) subject!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ default: '' }) analysis!: string;
  @Prop({ type: String, required: true }) severity!: Severity;
  @Prop({ type: String, required: true }) category!: Category;
  @Prop({ type: Classification, required: true }) classification!: Classification;
  @Prop({ type: String, required: true, index: true }) status!: CaseStatus;
  @Prop() assigneeId?: string;
  /** When the assignee last changed: an escalation decided before a later (manual) assignment does not undo it. */
  @Prop() assignedAt?: Date;
  @Prop({ required: true, index: true }) receivedAt!: Date;
  @Prop({ type: FirstResponse }) firstResponse?: FirstResponse;
  @Prop({ type: Resolution }) resolution?: Resolution;
  @Prop({ default: 0 }) reopenCount!: number;
  @Prop({ default: false, index: true }) slaBreached!: boolean;
  /** When the contact's personal data was erased (a request, or the retention period). */
  @Prop() erasedAt?: Date;
  @Prop() followUpOf?: string;
  @Prop({ index: true }) intercomConversationId?: string;
  /**
   * The latest Message-IDs of the thread, ours included (bounded: the References of our next mail).
   * A reply is matched to its case through `intake_keys` (every Message-ID ever seen), not this list.
   */
  @Prop({ type: [String], default: [], index: true }) emailMessageIds!: string[];
  @Prop({ type: [AttachmentSchema], default: [] }) attachments!: Attachment[];
  /** Sequence number and hash of the last timeline entry; a writer must have read this very `seq`. */
  @Prop({ required: true }) seq!: number;
  @Prop({ required: true }) headHash!: string;
  /** The newest entries (the tail of the chain); older ones are in `timelineBuckets`. */
  @Prop({ type: [TimelineEntrySchema], default: [] }) timeline!: TimelineEntry[];
  @Prop({ type: [BucketRefSchema], default: [] }) timelineBuckets!: BucketRef[];
  /** Messages to the customer not sent yet (head first); what became of them is in `case_deliveries`. */
  @Prop({ type: [DeliverySchema], default: [] }) deliveries!: Delivery[];
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}

export const CaseSchema = SchemaFactory.createForClass(Case);
CaseSchema.plugin(outboxPlugin);
CaseSchema.index({ 'deliveries.nextAttemptAt': 1 });

const actorView = (a: ActorRef): Actor =>
  a.id ? { kind: a.kind, id: a.id, name: a.name } : { kind: a.kind, name: a.name };
const reasonView = (r: Reason): ClassificationReason => ({
  source: r.source,
  ...(r.rule ? { rule: r.rule } : {}),
  ...(r.matched ? { matched: r.matched } : {}),
});
const attachmentView = (a: Attachment): AttachmentView => ({
  filename: a.filename,
  contentType: a.contentType,
  size: a.size,
  sha256: a.sha256,
});

export function toCaseView(c: Case): CaseView {
  return {
    id: c._id,
    number: c.number,
    accountId: c.accountId,
    contact: { name: c.contact.name, email: c.contact.email },
    channel: c.channel,
    subject: c.subject,
    description: c.description,
    analysis: c.analysis ?? '',
    severity: c.severity,
    category: c.category,
    classification: {
      severity: reasonView(c.classification.severity),
      category: reasonView(c.classification.category),
    },
    status: c.status,
    ...(c.assigneeId ? { assigneeId: c.assigneeId } : {}),
    receivedAt: c.receivedAt.toISOString(),
    ...(c.firstResponse
      ? { firstResponse: { at: c.firstResponse.at.toISOString(), by: actorView(c.firstResponse.by) } }
      : {}),
    ...(c.resolution
      ? {
          resolution: {
            at: c.resolution.at.toISOString(),
            by: actorView(c.resolution.by),
            summary: c.resolution.summary,
          },
        }
      : {}),
    reopenCount: c.reopenCount ?? 0,
    slaBreached: c.slaBreached ?? false,
    ...(c.followUpOf ? { followUpOf: c.followUpOf } : {}),
    ...(c.intercomConversationId ? { intercomConversationId: c.intercomConversationId } : {}),
    attachments: (c.attachments ?? []).map(attachmentView),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function toEntryView(e: TimelineEntry): TimelineEntryView {
  return {
    seq: e.seq,
    kind: e.kind,
    at: e.at.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    actor: actorView(e.actor),
    text: e.text,
    ...(e.data ? { data: e.data } : {}),
    ...(e.attachments?.length ? { attachments: e.attachments.map(attachmentView) } : {}),
    ...(e.pd ? { pd: { ...(e.pd.salt ? { salt: e.pd.salt } : {}), c: e.pd.c, ...(e.pd.erased ? { erased: true } : {}) } } : {}),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}


@Schema({ collection: 'counters', versionKey: false })
export class Counter {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, default: 0 }) value!: number;
}
export const CounterSchema = SchemaFactory.createForClass(Counter);
