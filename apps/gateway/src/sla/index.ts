import { Type } from '@nestjs/common';
import { CalendarsHttpController } from '../calendars/calendars.http.controller';
import { SlaPoliciesHttpController } from '../sla-policies/sla-policies.http.controller';
import { CaseSlaHttpController } from './case-sla.http.controller';

/** The sla resources: calendars, SLA policies and a case's clocks. */
export const SLA_HTTP_CONTROLLERS: Type<unknown>[] = [CalendarsHttpController, SlaPoliciesHttpController, CaseSlaHttpController];
