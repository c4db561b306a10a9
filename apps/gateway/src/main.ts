import 'reflect-metadata';
import { loadConfig } from '@sladesk/messaging';
import { GatewayEnv } from './config';
import { startGateway } from './gateway';

startGateway(loadConfig(GatewayEnv))
  .then((gateway) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void gateway.stop().then(() => process.exit(0), () => process.exit(1)));
    }
  })
  .catch((e) => {
    console.error(`gateway failed to start: ${(e as Error).message}`);
    process.exit(1);
  });
