import { ServiceEnv } from '@sladesk/messaging';

export class MaintenanceEnv extends ServiceEnv {}
