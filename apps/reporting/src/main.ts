import 'reflect-metadata';
import { bootstrapService, loadConfig } from '@sladesk/messaging';
import { ReportingModule } from './app.module';
import { ReportingEnv } from './config';

bootstrapService({
  service: 'reporting',
  config: loadConfig(ReportingEnv),
  module: (runtime, config) => ReportingModule.forRoot(runtime, config),
}).catch((e) => {
  console.error(`reporting failed to start: ${(e as Error).message}`);
  process.exit(1);
});
