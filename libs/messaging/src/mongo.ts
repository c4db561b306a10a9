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

/**
 * `SLADESK_DB_TRACE=1`: counts database commands by kind and collection and prints them every 10 s
 * (diagnosis). A read or write whose filter is not keyed by `_id` alone is counted under its filter's
 * field names and marked `SCAN`: on FerretDB's SQLite backend its cost grows with the collection.
 */
function traceCommands(conn: Connection): Connection {
  const counts = new Map<string, number>();
  conn.getClient().on('commandStarted', (e: { commandName: string; command: Record<string, unknown> }) => {
    const shapes = filterShapes(e.commandName, e.command);
    for (const shape of shapes.length ? shapes : ['']) {
      const key = `${e.commandName} ${String(e.command[e.commandName] ?? '')}${shape}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  });
  setInterval(() => {
    if (counts.size) console.error(`db commands: ${JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])))}`);
  }, 10_000).unref();
  return conn;
}

/** ` SCAN{a,b}` for each filter of the command that is not `{_id: …}` alone. */
function filterShapes(name: string, command: Record<string, unknown>): string[] {
  const filters: unknown[] =
    name === 'find' || name === 'count' || name === 'findAndModify' || name === 'distinct'
      ? [command.filter ?? command.query ?? {}]
      : name === 'update' || name === 'delete'
        ? ((command[name === 'update' ? 'updates' : 'deletes'] as { q?: unknown }[] | undefined) ?? []).map((u) => u.q ?? {})
        : name === 'aggregate'
          ? [((command.pipeline as Record<string, unknown>[] | undefined)?.[0]?.$match as unknown) ?? {}]
          : [];
  return filters
    .map((f) => Object.keys((f ?? {}) as object).sort())
    .filter((keys) => keys.length !== 1 || keys[0] !== '_id')
    .map((keys) => ` SCAN{${keys.join(',')}}`);
}

export const mongoHealthCheck = {
  provide: HEALTH_CHECKS,
  inject: ['DatabaseConnection'],
  useFactory: (conn: Connection) => ({
    mongodb: async () => conn.readyState === 1 && (await conn.db!.admin().ping()).ok === 1,
  }),
};
