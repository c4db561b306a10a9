import 'reflect-metadata';
import { bootstrapService, loadConfig } from '@sladesk/messaging';
import { EscalationModule } from './app.module';
import { EscalationEnv } from './config';

bootstrapService({
  service: 'escalation',
  config: loadConfig(EscalationEnv),
  module: (runtime, config) => EscalationModule.forRoot(runtime, config),
}).catch((e) => {
  console.error(`escalation failed to start: ${(e as Error).message}`);
  process.exit(1);
});
