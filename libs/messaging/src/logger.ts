import { LoggerModule } from 'nestjs-pino';
import { hostname } from 'node:os';
import { currentContext } from './context';

export const defaultInstanceId = (): string => `${hostname()}:${process.pid}`;

/** Structured JSON logs; every line carries the service and, inside a message, its correlation id. */
export function loggerModule(service: string, level: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level,
      base: { service, instance: defaultInstanceId() },
      messageKey: 'msg',
      mixin: () => {
        const ctx = currentContext();
        return ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId } : {};
      },
      autoLogging: false,
    },
  });
}
