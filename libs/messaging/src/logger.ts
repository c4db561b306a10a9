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

const SECRET_FIELDS = ['authorization', 'cookie', 'password', 'pass', 'secret', 'token', 'accessToken', 'apiKey', 'pepper', 'clientSecret', 'signature'];
const SECRET_SETTINGS = ['SLADESK_ADMIN_API_KEY', 'SLADESK_API_KEY_PEPPER', 'SLADESK_INTERCOM_CLIENT_SECRET', 'SLADESK_INTERCOM_ACCESS_TOKEN', 'SLADESK_INTERCOM_TOKEN', 'SLADESK_NOTICE_LINK_SECRET', 'SLADESK_SMTP_URL', 'SLADESK_SMTP_RELAY_URL'];

/**
 * What pino replaces with `[redacted]` in every log line: credentials in request headers, and fields
 * and settings that hold secrets, at the top level and one level down (`err.token`, `config.SLADESK_…`).
 * Free text is the writer's business: never put a secret into a message.
 */
export const LOG_REDACT = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["x-hub-signature"]',
    'res.headers["set-cookie"]',
    ...[...SECRET_FIELDS, ...SECRET_SETTINGS].flatMap((f) => [f, `*.${f}`]),
  ],
  censor: '[redacted]',
};

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
      redact: LOG_REDACT,
    },
  });
}
