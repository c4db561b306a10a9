import {
  addBusinessSeconds,
  CompiledCalendar,
  compileCalendar,
  defaultContractCalendarSpec,
  parseIsoDuration,
  twentyFourSevenSpec,
} from '@sladesk/business-time';
import { Injectable } from '@nestjs/common';
import { PolicyService } from '../policies/policy.service';

/** When a case unresolved since `since` has been unresolved for too long, by the account's policy. */
@Injectable()
export class UnresolvedClock {
  /** "Unresolved for too long" counts the default contract's support hours, or all hours. */
  private readonly calendars: Record<'support_hours' | 'always', CompiledCalendar> = {
    support_hours: compileCalendar(defaultContractCalendarSpec()),
    always: compileCalendar(twentyFourSevenSpec()),
  };

  constructor(private readonly policies: PolicyService) {}

  async dueAt(accountId: string, since: Date): Promise<Date> {
    const policy = await this.policies.effective(accountId);
    return addBusinessSeconds(this.calendars[policy.unresolvedHours], since, parseIsoDuration(policy.unresolvedAfter));
  }
}
