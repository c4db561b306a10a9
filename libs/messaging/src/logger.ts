import { LoggerModule } from 'nestjs-pino';
import { hostname } from 'node:os';
import { currentContext } from './context';

export const defaultInstanceId = (): string => `${hostname()}:${process.pid}`;

/**
 * For a person at a terminal (`npm start` in a shell), pino-pretty in pino's worker thread; JSON lines
 * for everything else (pipes, files, containers, tests).
 */
function terminalTransport() {
  if (!process.stdout.isTTY || process.env.JEST_WORKER_ID) return undefined;
  return {
    target: 'pino-pretty',
    options: {
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      messageKey: 'msg',
      messageFormat: '{service} › {msg}',
      ignore: 'pid,hostname,instance,service,context',
    },
  };
}

/** Structured JSON logs; every line carries the service and, inside a message, its correlation id. */
export function loggerModule(service: string, level: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level,
      base: { service, instance: defaultInstanceId() },
      messageKey: 'msg',
      transport: level === 'silent' ? undefined : terminalTransport(),
      mixin: () => {
        const ctx = currentContext();
        return ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId } : {};
      },
      autoLogging: false,
    },
  });
}
