import { ServiceEnv } from '@sladesk/messaging';

export class EscalationEnv extends ServiceEnv {}
