import { ServiceEnv } from '@sladesk/messaging';

export class IntakeEnv extends ServiceEnv {}
