import {
  AccountPayload,
  CaseAssignedPayload,
  CaseOpenedPayload,
  CaseReclassifiedPayload,
  CaseReopenedPayload,
  CaseResolvedPayload,
  CaseStatusChangedPayload,
  EventEnvelope,
  Events,
  SlaBreachedPayload,
  SlaWarningPayload,
  StaffPayload,
} from '@sladesk/contracts';
import { applyOnce } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Model } from 'mongoose';
import { DirectoryService } from '../directory/directory.service';
import { EscalationService } from '../escalations/escalation.service';
import { CaseState } from './case-state.schema';
import { EscalationRulesService } from './escalation-rules.service';

/** Translates the events escalation listens to into rule and read-model calls. */
@Controller()
export class CaseEventsMessageController {
  constructor(
    private readonly rules: EscalationRulesService,
    private readonly directory: DirectoryService,
    private readonly escalations: EscalationService,
    @InjectModel(CaseState.name) private readonly cases: Model<CaseState>,
  ) {}

  @EventPattern(Events.AccountCreated)
  accountCreated(@Payload() e: EventEnvelope<AccountPayload>) {
    return this.directory.upsertAccount(e.payload);
  }

  @EventPattern(Events.AccountUpdated)
  accountUpdated(@Payload() e: EventEnvelope<AccountPayload>) {
    return this.directory.upsertAccount(e.payload);
  }

  @EventPattern(Events.StaffCreated)
  staffCreated(@Payload() e: EventEnvelope<StaffPayload>) {
    return this.directory.upsertStaff(e.payload);
  }

  @EventPattern(Events.StaffUpdated)
  staffUpdated(@Payload() e: EventEnvelope<StaffPayload>) {
    return this.directory.upsertStaff(e.payload);
  }

  @EventPattern(Events.CaseOpened)
  caseOpened(@Payload() e: EventEnvelope<CaseOpenedPayload>) {
    return this.rules.caseOpened(e);
  }

  @EventPattern(Events.CaseReclassified)
  caseReclassified(@Payload() e: EventEnvelope<CaseReclassifiedPayload>) {
    return this.rules.caseReclassified(e);
  }

  @EventPattern(Events.CaseReopened)
  caseReopened(@Payload() e: EventEnvelope<CaseReopenedPayload>) {
    return this.rules.caseReopened(e);
  }

  @EventPattern(Events.CaseStatusChanged)
  async caseStatusChanged(@Payload() e: EventEnvelope<CaseStatusChangedPayload>) {
    await this.rules.known(e.payload.caseId);
    await applyOnce(this.cases, e.payload.caseId, e.eventId, { $set: { status: e.payload.to } });
  }

  @EventPattern(Events.CaseAssigned)
  async caseAssigned(@Payload() e: EventEnvelope<CaseAssignedPayload>) {
    await this.rules.known(e.payload.caseId);
    const update = e.payload.assigneeId ? { $set: { assigneeId: e.payload.assigneeId } } : { $unset: { assigneeId: 1 } };
    await applyOnce(this.cases, e.payload.caseId, e.eventId, update);
  }

  @EventPattern(Events.SlaWarning)
  slaWarning(@Payload() e: EventEnvelope<SlaWarningPayload>) {
    return this.rules.slaWarning(e);
  }

  @EventPattern(Events.SlaBreached)
  slaBreached(@Payload() e: EventEnvelope<SlaBreachedPayload>) {
    return this.rules.slaBreached(e);
  }

  @EventPattern(Events.CaseResolved)
  async caseResolved(@Payload() e: EventEnvelope<CaseResolvedPayload>) {
    await this.rules.known(e.payload.caseId);
    await applyOnce(this.cases, e.payload.caseId, e.eventId, { $set: { status: 'resolved' }, $unset: { unresolvedDueAt: 1 } });
    await this.escalations.closeForCase(e.payload.caseId);
  }
}
