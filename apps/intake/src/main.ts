import 'reflect-metadata';
import { bootstrapService, loadConfig } from '@sladesk/messaging';
import { IntakeModule } from './app.module';
import { IntakeEnv } from './config';

bootstrapService({
  service: 'intake',
  config: loadConfig(IntakeEnv),
  module: (runtime, config) => IntakeModule.forRoot(runtime, config),
}).catch((e) => {
  console.error(`intake failed to start: ${(e as Error).message}`);
  process.exit(1);
});
