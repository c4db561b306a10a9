import { Events, Rpc } from '@sladesk/contracts';
import { buildAsyncApi } from './asyncapi';

describe(buildAsyncApi.name, () => {
  const doc = buildAsyncApi() as {
    asyncapi: string;
    channels: Record<string, { address: string }>;
    components: {
      schemas: Record<string, unknown>;
      messages: Record<string, { payload: { $ref?: string; properties: Record<string, { $ref?: string }> } }>;
    };
  };
  const addresses = Object.values(doc.channels).map((c) => c.address);

  it('documents every event subject with its envelope and payload schema', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    for (const subject of Object.values(Events)) expect(addresses).toContain(subject);
    for (const message of Object.values(doc.components.messages)) {
      const ref = message.payload.properties?.payload?.$ref ?? message.payload.$ref;
      expect(doc.components.schemas).toHaveProperty(ref!.split('/').pop()!);
    }
    expect(doc.components.messages.CaseOpened.payload.properties).toHaveProperty('correlationId');
  });

  it('documents every request subject', () => {
    for (const subject of Object.values(Rpc)) expect(addresses).toContain(subject);
  });
});
