import mongoose, { Connection, ConnectOptions } from 'mongoose';

export interface MongoSettings {
  url: string;
  /** Overrides the database named in the URL. */
  dbName?: string;
  production?: boolean;
}

/** Database name from a MongoDB URL (the path), or undefined when it has none. */
export function databaseNameOf(url: string, dbName?: string): string | undefined {
  if (dbName) return dbName;
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

const underTest = (): boolean => process.env.NODE_ENV === 'test' || process.env.JEST_WORKER_ID !== undefined;

/**
 * Refuses to let a test touch a database that is not obviously a test database: a test that wipes
 * collections must never be pointed at real data by a stray MONGO_URL.
 */
export function assertSafeDatabase(url: string, dbName?: string): void {
  const name = databaseNameOf(url, dbName);
  if (underTest() && !(name ?? '').includes('test')) {
    throw new Error(
      `Refusing to run tests against database "${name ?? '(none)'}": its name must contain "test" (set MONGO_URL to e.g. mongodb://127.0.0.1:27017/sladesk_test).`,
    );
  }
}

/** Options every SLA Desk connection uses. */
export function connectionOptions(settings: MongoSettings): ConnectOptions {
  return {
    dbName: settings.dbName,
    serverSelectionTimeoutMS: 10_000,
    // Production acknowledges a write once a majority of the replica set has it: no lost writes on failover.
    ...(settings.production ? { writeConcern: { w: 'majority' as const } } : {}),
    autoIndex: true,
  };
}

let configured = false;
/** Query hardening applied once per process: unknown filter fields and `$` injection are rejected. */
export function configureMongoose(): void {
  if (configured) return;
  mongoose.set('strictQuery', true);
  mongoose.set('sanitizeFilter', true);
  configured = true;
}

export async function openConnection(settings: MongoSettings): Promise<Connection> {
  assertSafeDatabase(settings.url, settings.dbName);
  configureMongoose();
  const conn = mongoose.createConnection(settings.url, connectionOptions(settings));
  await conn.asPromise();
  return conn;
}
