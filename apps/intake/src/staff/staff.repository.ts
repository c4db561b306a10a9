import { Actor, AppError } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { KeyKind, Keys } from '../common/keys';
import { Staff } from './staff.schema';

const PROJECTION = { outbox: 0 };

@Injectable()
export class StaffRepository {
  constructor(
    @InjectModel(Staff.name) readonly model: Model<Staff>,
    private readonly keys: Keys,
  ) {}

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

  async findByIdempotencyScope(scope: string): Promise<Staff | null> {
    const key = await this.keys.get('scope', `staff|${scope}`);
    return key?.staffId ? this.model.findById(key.staffId, PROJECTION).lean<Staff>() : null;
  }

  /** Records which staff member a creation's Idempotency-Key stands for, before the member is written. */
  claimIdempotencyScope(scope: string, staffId: string): Promise<string> {
    return this.keys.claim('scope', `staff|${scope}`, { staffId }).then((r) => r.key.staffId!);
  }

  /** Makes a member findable by Intercom admin id and address; call before writing them. */
  async indexIdentities(staffId: string, email: string | undefined, intercomAdminId: string | undefined): Promise<void> {
    await Promise.all([
      email ? this.keys.put('staff-email', email.toLowerCase(), { staffId }) : undefined,
      intercomAdminId ? this.keys.put('staff-intercom', intercomAdminId, { staffId }) : undefined,
    ]);
  }

  /** An Intercom admin as one of ours: by their Intercom admin id, else by email. */
  async findByIntercomAdmin(adminId: string | undefined, email: string | undefined): Promise<Staff | null> {
    const lookups: [KeyKind, string | undefined, (s: Staff) => boolean][] = [
      ['staff-intercom', adminId, (s) => s.intercomAdminId === adminId],
      ['staff-email', email?.toLowerCase(), (s) => s.email === email?.toLowerCase()],
    ];
    for (const [kind, value, matches] of lookups) {
      if (!value) continue;
      const key = await this.keys.get(kind, value);
      const member = key?.staffId ? await this.model.findById(key.staffId, PROJECTION).lean<Staff>() : null;
      if (member && matches(member)) return member; // a stale key (the address moved) is ignored
    }
    return null;
  }

  list(afterId: string | undefined, limit: number): Promise<Staff[]> {
    const q = afterId ? { _id: mongoose.trusted({ $gt: afterId }) } : {};
    return this.model.find(q, PROJECTION).sort({ _id: 1 }).limit(limit).lean<Staff[]>();
  }
}
