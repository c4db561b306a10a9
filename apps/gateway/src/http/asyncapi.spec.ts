import { EventPayloadClasses, Events, Rpc } from '@sladesk/contracts';
import { buildAsyncApi } from './asyncapi';

describe(buildAsyncApi.name, () => {
  const doc = buildAsyncApi() as {
    asyncapi: string;
    channels: Record<string, { address: string }>;
    components: { schemas: Record<string, unknown>; messages: Record<string, { payload: { properties: Record<string, unknown> } }> };
  };
  const addresses = Object.values(doc.channels).map((c) => c.address);

  it('documents every event subject with its envelope and payload schema', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    for (const subject of Object.values(Events)) expect(addresses).toContain(subject);
    for (const cls of Object.values(EventPayloadClasses)) expect(doc.components.schemas).toHaveProperty(cls.name);
    expect(doc.components.messages.CaseOpened.payload.properties).toHaveProperty('correlationId');
  });

  it('documents every request subject', () => {
    for (const subject of Object.values(Rpc)) expect(addresses).toContain(subject);
  });
});
