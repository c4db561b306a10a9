// The peer of the benchmark: a NestJS + Fastify app that answers POST /v1/hello with the parsed body's
// size, in its own process like the gateway. Decorators are applied by hand (plain JavaScript).
require('reflect-metadata');
const { Body, Controller, HttpCode, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

class HelloController {
  hello(body) {
    return { ok: true, received: Object.keys(body ?? {}).length };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello');
Reflect.decorate([Post('v1/hello'), HttpCode(201)], HelloController.prototype, 'hello', descriptor);
Body()(HelloController.prototype, 'hello', 0);
Controller()(HelloController);

class HelloModule {}
Module({ controllers: [HelloController] })(HelloModule);

(async () => {
  const app = await NestFactory.create(HelloModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  console.log(`hello ready on ${await app.getUrl()}`);
  process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
})();
