import { addBusinessSeconds, CompiledCalendar, compileCalendar, defaultContractCalendarSpec, parseIsoDuration, twentyFourSevenSpec } from '@sladesk/business-time';
import { Injectable, Logger } from '@nestjs/common';
import { PolicyService } from '../policies/policy.service';
import { SupportCalendars } from './support-calendars';

/**
 * When a case unresolved since `since` has been unresolved for too long: the escalation policy's
 * duration, counted in the support hours of the case's SLA policy as the sla service holds them (or
 * all hours). Until the sla service has told us the case's policy, or while it cannot be asked, the
 * default contract's hours stand in; `basis` says which was used, so the rule is re-armed once the
 * real calendar is known.
 */
@Injectable()
export class UnresolvedClock {
  private readonly logger = new Logger(UnresolvedClock.name);
  private readonly always = compileCalendar(twentyFourSevenSpec());
  private readonly fallback = compileCalendar(defaultContractCalendarSpec());

  constructor(
    private readonly policies: PolicyService,
    private readonly calendars: SupportCalendars,
  ) {}

  async dueAt(accountId: string, since: Date, slaPolicyId?: string): Promise<{ dueAt: Date; basis: string }> {
    const policy = await this.policies.effective(accountId);
    const { calendar, basis } = policy.unresolvedHours === 'always' ? { calendar: this.always, basis: 'always' } : await this.supportHours(slaPolicyId);
    return { dueAt: addBusinessSeconds(calendar, since, parseIsoDuration(policy.unresolvedAfter)), basis };
  }

  private async supportHours(slaPolicyId: string | undefined): Promise<{ calendar: CompiledCalendar; basis: string }> {
    if (!slaPolicyId) return { calendar: this.fallback, basis: 'default-contract' };
    try {
      return await this.calendars.ofPolicy(slaPolicyId);
    } catch (e) {
      this.logger.warn(`support hours of SLA policy ${slaPolicyId} unavailable, counting the default contract's: ${(e as Error).message}`);
      return { calendar: this.fallback, basis: `default-contract(${slaPolicyId} unavailable)` };
    }
  }
}
