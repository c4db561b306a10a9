import { Type } from '@nestjs/common';
import { AvailabilityHttpController } from './availability.http.controller';

/** Availability: components, exclusions, the monthly report (incidents stay under escalation's /v1/incidents). */
export const AVAILABILITY_HTTP_CONTROLLERS: Type<unknown>[] = [AvailabilityHttpController];
