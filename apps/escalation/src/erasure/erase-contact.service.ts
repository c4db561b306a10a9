import { ContactErasedPayload, EventEnvelope } from '@sladesk/contracts';
import { Delivery, Outbound } from '@sladesk/outbound';
import { applyOnce } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { CaseState } from '../cases/case-state.schema';
import { Escalation } from '../escalations/escalation.schema';
import { EscErasure } from './erasure.schema';

export const ERASED = '[erased]';

/**
 * Escalation's part of erasing a contact (`contact.erased`). Escalation keeps no contact: its case facts
 * hold ids, states and times, its notifications go to staff. What can speak about the person is free
 * text tied to their cases: an escalation's `detail` (a manual escalation's reason is staff's own
 * words, and an escalation after an unacknowledged one quotes it) and the notification texts that
 * carry it. For every erased case — found by `_id` (the case state lists its escalations and
 * notifications) — each detail becomes `[erased]` and is cut out of its notifications' texts (a held
 * notification goes out without it). Idempotent: a redelivery finds nothing left to change, and
 * `esc_erasures` records the erasure once complete.
 */
@Injectable()
export class EraseContactService {
  private readonly logger = new Logger('Erasure');

  constructor(
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
    @InjectModel(Escalation.name) private readonly escalations: Model<Escalation>,
    private readonly outbound: Outbound,
    @InjectModel(EscErasure.name) private readonly records: Model<EscErasure>,
  ) {}

  async apply(e: EventEnvelope<ContactErasedPayload>): Promise<void> {
    const p = e.payload;
    const done = await this.records.findById(p.erasureId, { appliedEventIds: 1 }).lean<EscErasure>();
    if (done?.appliedEventIds?.includes(e.eventId)) return;
    let escalations = 0;
    let notifications = 0;
    for (const caseId of p.caseIds) {
      const c = await this.cases.findById(caseId, { escalationIds: 1, notificationIds: 1 }).lean<CaseState>();
      if (!c) continue;
      const details = new Map<string, string>();
      for (const id of c.escalationIds ?? []) {
        const esc = await this.escalations.findById(id, { detail: 1 }).lean<Escalation>();
        if (esc?.detail && esc.detail !== ERASED) details.set(id, esc.detail);
      }
      // Texts first (they need the details), then the details; then the texts again, in case a
      // reminder was written from a detail meanwhile.
      notifications += await this.cutFromNotifications(c.notificationIds ?? [], details);
      for (const id of details.keys()) {
        const res = await this.escalations.updateOne({ _id: id }, { $set: { detail: ERASED } });
        escalations += res.modifiedCount;
      }
      const again = await this.cases.findById(caseId, { notificationIds: 1 }).lean<CaseState>();
      notifications += await this.cutFromNotifications(again?.notificationIds ?? [], details);
    }
    await applyOnce(this.records, p.erasureId, e.eventId, { $set: { at: new Date(), escalations, notifications } });
    this.logger.log(`erasure ${p.erasureId}: ${p.caseIds.length} cases, ${escalations} escalation details, ${notifications} notification texts`);
  }

  private async cutFromNotifications(ids: string[], details: Map<string, string>): Promise<number> {
    let n = 0;
    if (!details.size) return 0;
    for (const id of ids) {
      // A notification is an outbound delivery with the notification's id (topic `escalation`).
      const note = await this.outbound.model.findById(id, { text: 1 }).lean<Delivery>();
      if (!note) continue;
      // Any detail of the case, not only its own escalation's: a superseding escalation quotes the earlier one.
      let text = note.text;
      for (const d of details.values()) text = text.split(d).join(ERASED);
      if (text === note.text) continue;
      await this.outbound.model.updateOne({ _id: id }, { $set: { text } });
      n++;
    }
    return n;
  }
}
