import { AppError } from '@sladesk/contracts';
import { StaffRepository } from '../staff/staff.repository';

/** An account's dedicated CSM must be an active staff member with the `csm` role. */
export async function assertCsm(staff: StaffRepository, csmId: string): Promise<void> {
  const s = await staff.get(csmId);
  if (!s.roles.includes('csm') || !s.active) {
    throw new AppError('STAFF.ROLE_MISSING', `Staff member ${csmId} is not an active CSM`, {
      required: 'csm',
      roles: s.roles,
    });
  }
}
