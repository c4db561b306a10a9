import { AccountPayload, StaffPayload, StaffRole } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { DirAccount, DirStaff } from './directory.schema';

const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;

/**
 * Accounts and staff as the escalation service knows them. Events may arrive twice or out of
 * order: a copy is only replaced by a higher version.
 */
@Injectable()
export class DirectoryService {
  constructor(
    @InjectModel(DirAccount.name) private readonly accounts: Model<DirAccount>,
    @InjectModel(DirStaff.name) private readonly staff: Model<DirStaff>,
  ) {}

  async upsertAccount(a: AccountPayload): Promise<void> {
    await this.keepNewest(this.accounts, a.id, a.version, {
      name: a.name,
      timeZone: a.timeZone,
      csmId: a.csmId ?? null,
      version: a.version,
    });
  }

  async upsertStaff(s: StaffPayload): Promise<void> {
    await this.keepNewest(this.staff, s.id, s.version, {
      name: s.name,
      email: s.email,
      roles: s.roles,
      active: s.active,
      timeZone: s.timeZone ?? null,
      workingHours: s.workingHours ?? null,
      version: s.version,
    });
  }

  private async keepNewest<T extends { version: number }>(
    model: Model<T>,
    id: string,
    version: number,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      await model.updateOne({ _id: id, version: mongoose.trusted({ $lt: version }) } as never, { $set: fields }, { upsert: true });
    } catch (e) {
      // Already at this version or newer: nothing to do.
      if (!isDuplicateKey(e)) throw e;
    }
  }

  account(id: string): Promise<DirAccount | null> {
    return this.accounts.findById(id).lean<DirAccount>();
  }

  member(id: string): Promise<DirStaff | null> {
    return this.staff.findById(id).lean<DirStaff>();
  }

  /** Active staff with a role, in a stable order (round-robin relies on it). */
  withRole(role: StaffRole): Promise<DirStaff[]> {
    return this.staff.find({ roles: role, active: true }).sort({ _id: 1 }).lean<DirStaff[]>();
  }
}
