import { Type } from '@nestjs/common';
import { CasesHttpController } from './cases/cases.http.controller';
import { HealthHttpController } from './health/health.http.controller';

/** Every HTTP controller of the gateway, one folder per resource; each only forwards over NATS. */
export const HTTP_CONTROLLERS: Type<unknown>[] = [HealthHttpController, CasesHttpController];
