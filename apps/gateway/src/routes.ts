import { Type } from '@nestjs/common';
import { AccountsHttpController } from './accounts/accounts.http.controller';
import { AVAILABILITY_HTTP_CONTROLLERS } from './availability';
import { CasesHttpController } from './cases/cases.http.controller';
import { IntercomWebhookHttpController } from './channels/intercom-webhook.http.controller';
import { ReviewQueueHttpController } from './channels/review-queue.http.controller';
import { EscalationHttpController } from './escalation/escalation.http.controller';
import { HealthHttpController } from './health/health.http.controller';
import { MAINTENANCE_HTTP_CONTROLLERS } from './maintenance';
import { REPORTS_HTTP_CONTROLLERS } from './reports';
import { SLA_HTTP_CONTROLLERS } from './sla';
import { StaffHttpController } from './staff/staff.http.controller';

/** Every HTTP controller of the gateway, one folder per resource; each only forwards over NATS. */
export const HTTP_CONTROLLERS: Type<unknown>[] = [
  HealthHttpController,
  CasesHttpController,
  ...[AccountsHttpController, StaffHttpController, IntercomWebhookHttpController, ReviewQueueHttpController],
  EscalationHttpController,
  ...SLA_HTTP_CONTROLLERS,
  ...MAINTENANCE_HTTP_CONTROLLERS,
  ...REPORTS_HTTP_CONTROLLERS,
  ...AVAILABILITY_HTTP_CONTROLLERS,
];
