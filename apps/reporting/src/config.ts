import { ServiceEnv } from '@sladesk/messaging';

export class ReportingEnv extends ServiceEnv {}
