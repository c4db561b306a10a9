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
 * `SLADESK_DB_TRACE=1`: counts database commands by kind and collection, with their total time, and prints the last 10 s every 10 s
 * (diagnosis). A read or write whose filter has no `_id` equality is counted under its filter's
 * field names and marked `SCAN`: on FerretDB's SQLite backend its cost grows with the collection.
 */
function traceCommands(conn: Connection): Connection {
  const counts = new Map<string, { n: number; ms: number }>();
  const who = /apps\/([^/]+)\//.exec(process.argv[1] ?? '')?.[1] ?? 'service';
  const started = new Map<number, string[]>();
  const client = conn.getClient();
  client.on('commandStarted', (e: { commandName: string; command: Record<string, unknown>; requestId: number }) => {
    const shapes = filterShapes(e.commandName, e.command);
    const keys = (shapes.length ? shapes : ['']).map((shape) => `${e.commandName} ${String(e.command[e.commandName] ?? '')}${shape}`);
    for (const key of keys) {
      const c = counts.get(key) ?? { n: 0, ms: 0 };
      c.n++;
      counts.set(key, c);
    }
    started.set(e.requestId, keys);
  });
  const finished = (e: { requestId: number; duration: number }) => {
    for (const key of started.get(e.requestId) ?? []) {
      const c = counts.get(key);
      if (c) c.ms += e.duration;
    }
    started.delete(e.requestId);
  };
  client.on('commandSucceeded', finished);
  client.on('commandFailed', finished);
  setInterval(() => {
    if (!counts.size) return;
    const rows = [...counts].sort((a, b) => b[1].ms - a[1].ms).map(([k, c]) => [k, `${c.n}/${Math.round(c.ms)}ms`]);
    console.error(`${who} db commands in the last 10 s (count/total time): ${JSON.stringify(Object.fromEntries(rows))}`);
    counts.clear();
  }, 10_000).unref();
  return conn;
}

/**
 * ` SCAN{a,b}` for each filter of the command without an `_id` equality. The launcher's FerretDB build
 * pushes the `_id` equality down whatever other keys a filter has (FERRETDB_PATCHES in libs/testing);
 * plain FerretDB 1.24 does so only when `_id` is the filter's sole key.
 */
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
    .filter((f) => !hasIdEquality(f))
    .map((f) => ` SCAN{${Object.keys((f ?? {}) as object).sort().join(',')}}`);
}

function hasIdEquality(filter: unknown): boolean {
  const id = (filter as { _id?: unknown } | null)?._id;
  return id !== undefined && (typeof id !== 'object' || id === null || !Object.keys(id).some((k) => k.startsWith('$')));
}

export const mongoHealthCheck = {
  provide: HEALTH_CHECKS,
  inject: ['DatabaseConnection'],
  useFactory: (conn: Connection) => ({
    mongodb: async () => conn.readyState === 1 && (await conn.db!.admin().ping()).ok === 1,
  }),
};
