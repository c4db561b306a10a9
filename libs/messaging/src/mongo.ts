import { assertSafeDatabase, configureMongoose, connectionOptions } from '@sladesk/persistence';
import { MongooseModule } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { ServiceEnv } from './config';
import { HEALTH_CHECKS } from './messaging.module';

/** The service's MongoDB connection, hardened and guarded as persistence prescribes. */
export function mongoModule(config: ServiceEnv) {
  assertSafeDatabase(config.MONGO_URL);
  configureMongoose();
  const trace = process.env.SLADESK_DB_TRACE === '1';
  return MongooseModule.forRoot(config.MONGO_URL, {
    ...connectionOptions({ url: config.MONGO_URL, production: config.production }),
    ...(trace ? { monitorCommands: true, connectionFactory: traceCommands } : {}),
  });
}

/** `SLADESK_DB_TRACE=1`: counts database commands by kind and collection and prints them every 10 s (diagnosis). */
function traceCommands(conn: Connection): Connection {
  const counts = new Map<string, number>();
  conn.getClient().on('commandStarted', (e: { commandName: string; command: Record<string, unknown> }) => {
    const key = `${e.commandName} ${String(e.command[e.commandName] ?? '')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  setInterval(() => {
    if (counts.size) console.error(`db commands: ${JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])))}`);
  }, 10_000).unref();
  return conn;
}

export const mongoHealthCheck = {
  provide: HEALTH_CHECKS,
  inject: ['DatabaseConnection'],
  useFactory: (conn: Connection) => ({
    mongodb: async () => conn.readyState === 1 && (await conn.db!.admin().ping()).ok === 1,
  }),
};
