import { EventPayloadClasses, Events, RpcRequestClasses, Streams } from '@sladesk/contracts';
import { contractSchemas } from './contract-schemas';

const envelopeSchema = (payloadRef: string) => ({
  type: 'object',
  required: ['eventId', 'type', 'occurredAt', 'correlationId', 'causationId', 'payload'],
  properties: {
    eventId: { type: 'string', description: 'Unique; also the JetStream Nats-Msg-Id (duplicates are dropped)' },
    type: { type: 'string', description: 'The subject' },
    occurredAt: { type: 'string', format: 'date-time' },
    correlationId: { type: 'string', description: 'Ties everything one user action caused' },
    causationId: { type: 'string', description: 'The event or request that caused this one' },
    payload: { $ref: payloadRef },
  },
});

/** The schema of a class, or of the nearest ancestor that has one (a subclass adding no field has none). */
type Class = abstract new (...args: never[]) => unknown;
function schemaName(cls: Class, schemas: Record<string, object>): string {
  let c: Class | null = cls;
  while (c && !schemas[c.name]) c = Object.getPrototypeOf(c) as Class | null;
  return c?.name ?? cls.name;
}

/**
 * AsyncAPI 3 description of every event and request subject, generated from the contracts so it
 * cannot drift from what services really publish.
 */
export function buildAsyncApi(): Record<string, unknown> {
  const schemas = contractSchemas();
  const channels: Record<string, object> = {};
  const operations: Record<string, object> = {};
  const messages: Record<string, object> = {};
  const eventNames = Object.fromEntries(Object.entries(Events).map(([name, subject]) => [subject, name]));

  for (const [subject, cls] of Object.entries(EventPayloadClasses)) {
    const name = eventNames[subject] ?? subject;
    messages[name] = {
      name,
      title: subject,
      contentType: 'application/json',
      headers: {
        type: 'object',
        properties: {
          'Nats-Msg-Id': { type: 'string' },
          'Sladesk-Correlation-Id': { type: 'string' },
          'Sladesk-Causation-Id': { type: 'string' },
        },
      },
      payload: envelopeSchema(`#/components/schemas/${schemaName(cls as Class, schemas)}`),
    };
    channels[name] = {
      address: subject,
      description: `JetStream stream ${Streams.Events.name}`,
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[`receive${name}`] = { action: 'receive', channel: { $ref: `#/channels/${name}` } };
  }

  for (const [subject, cls] of Object.entries(RpcRequestClasses)) {
    const name = `Request_${subject.replace(/[^A-Za-z0-9]+/g, '_')}`;
    messages[name] = {
      name,
      title: subject,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${schemaName(cls as Class, schemas)}` },
    };
    channels[name] = {
      address: subject,
      description: 'Core NATS request/reply (queue group of the owning service); the reply is { ok, data } or { ok: false, error: { code, message } }',
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[`send${name}`] = { action: 'send', channel: { $ref: `#/channels/${name}` } };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'SLA Desk events and requests',
      version: '1',
      description:
        'Every state change is published once on a versioned subject with an envelope. Subscribe with a durable JetStream consumer on stream SLADESK_EVENTS; failed messages land in SLADESK_DLQ (sladesk.dlq.<consumer>.<subject>).',
    },
    defaultContentType: 'application/json',
    servers: { local: { host: '127.0.0.1:4222', protocol: 'nats' } },
    channels,
    operations,
    components: { messages, schemas },
  };
}
