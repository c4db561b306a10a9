import { AppError, Events, StaffView, UpdateStaffCommand } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { isDuplicateKey } from '../../common/request-hash';
import { updateVersioned } from '../../common/versioned-update';
import { StaffRepository } from '../staff.repository';
import { toStaffView } from '../staff.schema';

/** Changes a staff member and announces the whole new state (`staff.updated`); no change, no event. */
@Injectable()
export class UpdateStaffService {
  constructor(
    private readonly staff: StaffRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(cmd: UpdateStaffCommand, now = new Date()): Promise<StaffView> {
    try {
      await this.staff.indexIdentities(cmd.id, cmd.email ?? undefined, cmd.intercomAdminId ?? undefined);
      const { doc, changed } = await updateVersioned(
        this.staff.model,
        () => this.staff.get(cmd.id),
        () => ({
          set: {
            ...(cmd.name !== undefined ? { name: cmd.name } : {}),
            ...(cmd.email !== undefined ? { email: cmd.email.toLowerCase() } : {}),
            ...(cmd.roles ? { roles: cmd.roles } : {}),
            ...(cmd.intercomAdminId ? { intercomAdminId: cmd.intercomAdminId } : {}),
            ...(cmd.timeZone ? { timeZone: cmd.timeZone } : {}),
            ...(cmd.workingHours ? { workingHours: cmd.workingHours } : {}),
            ...(cmd.active !== undefined ? { active: cmd.active } : {}),
          },
          unset: cmd.intercomAdminId === null ? ['intercomAdminId'] : [],
        }),
        (next) => outboxEvent(Events.StaffUpdated, toStaffView(next), now),
        now,
      );
      if (changed) this.relay.published(this.staff.model, doc._id);
      return toStaffView(doc);
    } catch (e) {
      if (isDuplicateKey(e))
        throw new AppError('STAFF.ALREADY_EXISTS', `Another staff member has the email ${cmd.email}`);
      throw e;
    }
  }
}
