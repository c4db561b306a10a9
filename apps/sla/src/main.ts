import 'reflect-metadata';
import { bootstrapService, loadConfig } from '@sladesk/messaging';
import { SlaModule } from './app.module';
import { SlaEnv } from './config';

bootstrapService({
  service: 'sla',
  config: loadConfig(SlaEnv),
  module: (runtime, config) => SlaModule.forRoot(runtime, config),
}).catch((e) => {
  console.error(`sla failed to start: ${(e as Error).message}`);
  process.exit(1);
});
