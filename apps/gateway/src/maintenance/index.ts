import { Type } from '@nestjs/common';
import { AdvisoriesHttpController } from './advisories.http.controller';
import { MaintenanceWindowsHttpController } from './maintenance-windows.http.controller';
import { NoticesHttpController } from './notices.http.controller';

/** The maintenance resources: windows (and their calendar), advisories, notice preferences and notices. */
export const MAINTENANCE_HTTP_CONTROLLERS: Type<unknown>[] = [MaintenanceWindowsHttpController, AdvisoriesHttpController, NoticesHttpController];
