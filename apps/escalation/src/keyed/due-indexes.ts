import { DueBucketSchema, DueIndex } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';

export const DUE_BUCKETS = 'EscDueBucket';
export const EscDueBucketSchema = DueBucketSchema.clone().set('collection', 'esc_due');

/**
 * What the ticker acts on, by due time (see DueIndex): acknowledgement timeouts of escalations,
 * "unresolved for too long" of cases, incident evaluations to finish (notifications to send are
 * outbound's, in `outbound_due`). One collection, three indexes.
 */
@Injectable()
export class DueIndexes {
  readonly acks: DueIndex;
  readonly unresolved: DueIndex;
  /** Incidents whose platform-wide evaluation is under way (a crash mid-way is finished by the ticker). */
  readonly incidents: DueIndex;

  constructor(@InjectModel(DUE_BUCKETS) model: Model<unknown>) {
    // Ten-second buckets: every new case adds an entry to the bucket of its due time, and a bucket's
    // document is rewritten with each (its size follows the intake rate times the width). Minute
    // buckets written before are still read: their `_id`s fall on ten-second bounds too.
    this.acks = new DueIndex(model.collection, { name: 'ack', bucketMs: 10_000 });
    this.unresolved = new DueIndex(model.collection, { name: 'unresolved', bucketMs: 10_000 });
    this.incidents = new DueIndex(model.collection, { name: 'incident' });
  }
}
