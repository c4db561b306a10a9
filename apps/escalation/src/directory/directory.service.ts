import { AccountPayload, STAFF_ROLES, StaffPayload, StaffRole } from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { IdSets } from '../keyed/id-sets';
import { DirAccount, DirStaff } from './directory.schema';

const roleSet = (role: StaffRole) => `role:${role}`;
const ATTEMPTS = 5;

/**
 * Accounts and staff as the escalation service knows them. Events may arrive twice or out of
 * order: a copy is only replaced by a higher version. Who has a role is kept in one set per role
 * (read by `_id`), derived from the newest copy of each member.
 */
@Injectable()
export class DirectoryService {
  constructor(
    @InjectModel(DirAccount.name) private readonly accounts: Model<DirAccount>,
    @InjectModel(DirStaff.name) private readonly staff: Model<DirStaff>,
    private readonly sets: IdSets,
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
    await this.syncRoles(s.id);
  }

  /**
   * Puts the member in (or out of) each role's set as its newest copy says, and starts over if a newer
   * copy arrived meanwhile: whichever handler finishes last wrote what the newest copy says.
   */
  async syncRoles(id: string): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const m = await this.member(id);
      if (!m) return;
      await Promise.all(
        STAFF_ROLES.map((role) => (m.active && m.roles.includes(role) ? this.sets.add(roleSet(role), id) : this.sets.remove(roleSet(role), id))),
      );
      const now = await this.staff.findById(id, { version: 1 }).lean<DirStaff>();
      if (now?.version === m.version) return;
    }
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
  async withRole(role: StaffRole): Promise<DirStaff[]> {
    const { members } = await this.sets.read(roleSet(role));
    const found = await Promise.all([...members.keys()].map((id) => this.member(id)));
    return found
      .filter((m): m is DirStaff => !!m && m.active && m.roles.includes(role))
      .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  }

  /** Rebuilds the role sets from every known member (background repair; reads the whole collection). */
  async rebuildRoleSets(): Promise<number> {
    let n = 0;
    for await (const m of this.staff.find({}, { _id: 1 }).lean<{ _id: string }[]>().cursor()) {
      await this.syncRoles(m._id);
      n += 1;
    }
    return n;
  }
}
