import { ServiceEnv } from '@sladesk/messaging';

export class SlaEnv extends ServiceEnv {}
