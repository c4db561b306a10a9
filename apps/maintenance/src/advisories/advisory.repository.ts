import { AppError } from '@sladesk/contracts';
import { OutboxRelay } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Advisory } from './advisory.schema';

@Injectable()
export class AdvisoryRepository {
  constructor(
    @InjectModel(Advisory.name) readonly model: Model<Advisory>,
    readonly relay: OutboxRelay,
  ) {}

  findById(id: string): Promise<Advisory | null> {
    return this.model.findById(id, { outbox: 0 }).lean<Advisory>();
  }

  async get(id: string): Promise<Advisory> {
    const a = await this.findById(id);
    if (!a) throw new AppError('ADVISORY.NOT_FOUND', `Advisory ${id} does not exist`);
    return a;
  }

  /** One conditional write per change, with its events; a concurrent change answers RESOURCE.CONCURRENT_UPDATE. */
  async write(a: Advisory, update: { $set: Record<string, unknown>; $push?: Record<string, unknown> }): Promise<Advisory> {
    const res = await this.model.updateOne({ _id: a._id, version: a.version }, { ...update, $set: { ...update.$set, version: a.version + 1 } });
    if (res.modifiedCount !== 1) throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Advisory ${a._id} changed meanwhile; read it again and retry`);
    this.relay.published(this.model, a._id);
    return this.get(a._id);
  }
}
