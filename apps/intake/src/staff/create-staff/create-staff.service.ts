import { AppError, CreateStaffCommand, Events, StaffView } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { isDuplicateKey, requestHash } from '../../common/request-hash';
import { StaffRepository } from '../staff.repository';
import { Staff, toStaffView } from '../staff.schema';

/** Registers a staff member and announces them (`staff.created`) with all their data. */
@Injectable()
export class CreateStaffService {
  constructor(
    private readonly staff: StaffRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(cmd: CreateStaffCommand, now = new Date()): Promise<StaffView> {
    const { idempotencyKey, ...body } = cmd;
    const hash = requestHash(body);
    const scope = idempotencyKey ? `key:${idempotencyKey}` : undefined;
    if (scope) {
      const earlier = await this.staff.findByIdempotencyScope(scope);
      if (earlier) return replay(earlier, hash);
    }
    const id = scope ? await this.staff.claimIdempotencyScope(scope, cmd.id ?? uuidv7()) : (cmd.id ?? uuidv7());
    const member: Omit<Staff, 'outbox'> = {
      _id: id,
      name: cmd.name,
      email: cmd.email.toLowerCase(),
      roles: cmd.roles,
      ...(cmd.intercomAdminId ? { intercomAdminId: cmd.intercomAdminId } : {}),
      ...(cmd.timeZone ? { timeZone: cmd.timeZone } : {}),
      ...(cmd.workingHours ? { workingHours: cmd.workingHours } : {}),
      active: true,
      version: 1,
      idempotencyScope: scope ?? `id:${id}`,
      requestHash: hash,
      createdAt: now,
      updatedAt: now,
    };
    await this.staff.indexIdentities(id, member.email, member.intercomAdminId);
    try {
      await this.staff.model.create({
        ...member,
        outbox: [outboxEvent(Events.StaffCreated, toStaffView(member as Staff), now)],
      });
      this.relay.published(this.staff.model, id);
      return toStaffView(member as Staff);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const winner = scope ? await this.staff.findByIdempotencyScope(scope) : null;
      if (winner) return replay(winner, hash);
      throw new AppError(
        'STAFF.ALREADY_EXISTS',
        `A staff member with id ${id} or email ${member.email} already exists`,
      );
    }
  }
}

function replay(earlier: Staff, hash: string): StaffView {
  if (earlier.requestHash !== hash)
    throw new AppError(
      'IDEMPOTENCY.KEY_REUSED',
      'This Idempotency-Key was already used for a different request',
    );
  return toStaffView(earlier);
}
