import { Actor, AppError } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Staff } from './staff.schema';

const PROJECTION = { outbox: 0 };

@Injectable()
export class StaffRepository {
  constructor(@InjectModel(Staff.name) readonly model: Model<Staff>) {}

  findById(id: string): Promise<Staff | null> {
    return this.model.findById(id, PROJECTION).lean<Staff>();
  }

  async get(id: string): Promise<Staff> {
    const found = await this.findById(id);
    if (!found) throw new AppError('STAFF.NOT_FOUND', `Staff member ${id} does not exist`);
    return found;
  }

  /** The actor a staff id stands for in the record. */
  async actor(id: string): Promise<Actor> {
    const s = await this.get(id);
    return { kind: 'staff', id: s._id, name: s.name };
  }

  findByIdempotencyScope(scope: string): Promise<Staff | null> {
    return this.model.findOne({ idempotencyScope: scope }, PROJECTION).lean<Staff>();
  }

  /** An Intercom admin as one of ours: by their Intercom admin id, else by email. */
  async findByIntercomAdmin(adminId: string | undefined, email: string | undefined): Promise<Staff | null> {
    const byId = adminId
      ? await this.model.findOne({ intercomAdminId: adminId }, PROJECTION).lean<Staff>()
      : null;
    return (
      byId ?? (email ? this.model.findOne({ email: email.toLowerCase() }, PROJECTION).lean<Staff>() : null)
    );
  }

  list(afterId: string | undefined, limit: number): Promise<Staff[]> {
    const q = afterId ? { _id: mongoose.trusted({ $gt: afterId }) } : {};
    return this.model.find(q, PROJECTION).sort({ _id: 1 }).limit(limit).lean<Staff[]>();
  }
}
