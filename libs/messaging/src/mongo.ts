import { assertSafeDatabase, configureMongoose, connectionOptions } from '@sladesk/persistence';
import { MongooseModule } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { ServiceEnv } from './config';
import { HEALTH_CHECKS } from './messaging.module';

/** The service's MongoDB connection, hardened and guarded as persistence prescribes. */
export function mongoModule(config: ServiceEnv) {
  assertSafeDatabase(config.MONGO_URL);
  configureMongoose();
  return MongooseModule.forRoot(config.MONGO_URL, connectionOptions({ url: config.MONGO_URL, production: config.production }));
}

export const mongoHealthCheck = {
  provide: HEALTH_CHECKS,
  inject: ['DatabaseConnection'],
  useFactory: (conn: Connection) => ({
    mongodb: async () => conn.readyState === 1 && (await conn.db!.admin().ping()).ok === 1,
  }),
};
