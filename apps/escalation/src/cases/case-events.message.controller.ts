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
  SlaClockStartedPayload,
  SlaWarningPayload,
  StaffPayload,
} from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DirectoryService } from '../directory/directory.service';
import { EscalationService } from '../escalations/escalation.service';
import { factOfAssigned, factOfOpened, factOfReclassified, factOfReopened, factOfResolved, factOfStatus } from './case-facts';
import { EscalationRulesService } from './escalation-rules.service';

/** Translates the events escalation listens to into facts for the rules and the directory. */
@Controller()
export class CaseEventsMessageController {
  constructor(
    private readonly rules: EscalationRulesService,
    private readonly directory: DirectoryService,
    private readonly escalations: EscalationService,
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
    return this.rules.onCaseFact(e.payload.caseId, factOfOpened(e));
  }

  @EventPattern(Events.CaseReclassified)
  caseReclassified(@Payload() e: EventEnvelope<CaseReclassifiedPayload>) {
    return this.rules.onCaseFact(e.payload.caseId, factOfReclassified(e));
  }

  @EventPattern(Events.CaseReopened)
  caseReopened(@Payload() e: EventEnvelope<CaseReopenedPayload>) {
    return this.rules.onCaseFact(e.payload.caseId, factOfReopened(e));
  }

  @EventPattern(Events.CaseStatusChanged)
  caseStatusChanged(@Payload() e: EventEnvelope<CaseStatusChangedPayload>) {
    return this.rules.onCaseFact(e.payload.caseId, factOfStatus(e));
  }

  @EventPattern(Events.CaseAssigned)
  async caseAssigned(@Payload() e: EventEnvelope<CaseAssignedPayload>) {
    const cause = e.payload.escalationId ? await this.escalations.orderOf(e.payload.escalationId) : undefined;
    return this.rules.onCaseFact(e.payload.caseId, factOfAssigned(e, cause));
  }

  @EventPattern(Events.CaseResolved)
  caseResolved(@Payload() e: EventEnvelope<CaseResolvedPayload>) {
    return this.rules.onCaseFact(e.payload.caseId, factOfResolved(e));
  }

  @EventPattern(Events.SlaClockStarted)
  slaClockStarted(@Payload() e: EventEnvelope<SlaClockStartedPayload>) {
    return this.rules.slaClock(e);
  }

  @EventPattern(Events.SlaWarning)
  slaWarning(@Payload() e: EventEnvelope<SlaWarningPayload>) {
    return this.rules.slaWarning(e);
  }

  @EventPattern(Events.SlaBreached)
  slaBreached(@Payload() e: EventEnvelope<SlaBreachedPayload>) {
    return this.rules.slaBreached(e);
  }
}
