// The database peer of the benchmark: a NestJS + Fastify + mongoose app that answers POST /items by
// storing the parsed body as one document (one insertOne per request) on the same MongoDB-compatible
// server as the pipeline, in its own process like the gateway. Decorators are applied by hand (plain
// JavaScript). MONGO_URL names the database (the benchmark gives it one of its own).
require('reflect-metadata');
const { Body, Controller, HttpCode, Inject, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { MongooseModule, getModelToken } = require('@nestjs/mongoose');
const { Schema } = require('mongoose');

const ItemSchema = new Schema(
  {
    name: { type: String, required: true },
    qty: { type: Number, default: 1 },
    tags: { type: [String], default: [] },
  },
  { collection: 'items', versionKey: false, timestamps: true },
);

class ItemsController {
  constructor(items) {
    this.items = items;
  }

  async create(body) {
    // Model.create → document.save → one insertOne.
    const doc = await this.items.create({ name: body?.name, qty: body?.qty, tags: body?.tags });
    return { id: String(doc._id) };
  }
}
Inject(getModelToken('Item'))(ItemsController, undefined, 0);
const descriptor = Object.getOwnPropertyDescriptor(ItemsController.prototype, 'create');
Reflect.decorate([Post('items'), HttpCode(201)], ItemsController.prototype, 'create', descriptor);
Body()(ItemsController.prototype, 'create', 0);
Controller()(ItemsController);

class ItemsModule {}
Module({
  imports: [
    MongooseModule.forRoot(process.env.MONGO_URL),
    MongooseModule.forFeature([{ name: 'Item', schema: ItemSchema }]),
  ],
  controllers: [ItemsController],
})(ItemsModule);

(async () => {
  const app = await NestFactory.create(ItemsModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  console.log(`insert-one ready on ${await app.getUrl()}`);
  process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
})().catch((e) => {
  console.error(`insert-one failed to start: ${e.stack ?? e}`);
  process.exit(1);
});
