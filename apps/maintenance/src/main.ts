import 'reflect-metadata';
import { bootstrapService, loadConfig } from '@sladesk/messaging';
import { MaintenanceModule } from './app.module';
import { MaintenanceEnv } from './config';

bootstrapService({
  service: 'maintenance',
  config: loadConfig(MaintenanceEnv),
  module: (runtime, config) => MaintenanceModule.forRoot(runtime, config),
}).catch((e) => {
  console.error(`maintenance failed to start: ${(e as Error).message}`);
  process.exit(1);
});
