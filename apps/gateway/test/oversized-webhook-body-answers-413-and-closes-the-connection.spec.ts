import { loadConfig } from '@sladesk/messaging';
import { createHmac } from 'node:crypto';
import { GatewayEnv } from '../src/config';
import { startGateway } from '../src/gateway';
import { RawConnection } from './raw-http';
import { INTERCOM_SECRET, seedAcme, Stack, startStack } from './stack';

const WEBHOOK = '/v1/channels/intercom/webhook';
const sign = (raw: string) => `sha1=${createHmac('sha1', INTERCOM_SECRET).update(raw).digest('hex')}`;

const conversation = (id: string) =>
  JSON.stringify({
    type: 'notification_event',
    id: `notif-${id}`,
    topic: 'conversation.user.created',
    data: {
      type: 'notification_event_data',
      item: {
        type: 'conversation',
        id,
        created_at: 1_764_000_000,
        source: { type: 'conversation', body: '<p>The export hangs</p>', author: { type: 'user', id: 'u1', name: 'Ada', email: 'ada@acme.test' } },
      },
    },
  });

/** A 2 MB notification, larger than the 64 KiB the stack allows. */
const oversized = () => {
  const raw = JSON.stringify({ type: 'notification_event', id: 'notif-big', topic: 'conversation.user.created', padding: 'x'.repeat(2 * 1024 * 1024) });
  return { raw, headers: { 'content-type': 'application/json', 'x-hub-signature': sign(raw) } };
};

describe('a webhook body over the limit answers 413 and closes the connection instead of leaving it hanging', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('oversized_webhook');
    await seedAcme(stack);
  });
  afterAll(() => stack?.stop());

  /** The 413, then the server closes the connection (the rest of the body is not worth reading). */
  async function expect413ThenClosed(conn: RawConnection) {
    const res = await conn.response();
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
    await conn.closed;
  }

  /** A signed notification on a fresh connection is applied: the gateway is still serving. */
  async function expectSignedWebhookAnswered(conversationId: string) {
    const conn = await RawConnection.open(stack.gateway.url);
    const raw = conversation(conversationId);
    conn.request('POST', WEBHOOK, { 'content-type': 'application/json', 'x-hub-signature': sign(raw) }, raw);
    const res = await conn.response();
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ outcome: 'applied', caseId: expect.any(String) });
    expect(await stack.db.collection('cases').countDocuments({ intercomConversationId: conversationId })).toBe(1);
    conn.close();
  }

  it('with a Content-Length: 413 REQUEST.TOO_LARGE, the connection closed, the next request answered', async () => {
    const conn = await RawConnection.open(stack.gateway.url);
    const { raw, headers } = oversized();
    conn.request('POST', WEBHOOK, headers, raw);
    await expect413ThenClosed(conn);
    await expectSignedWebhookAnswered('conv-after-413');
  });

  it('chunked, without a Content-Length: 413 REQUEST.TOO_LARGE, the connection closed, the next request answered', async () => {
    const conn = await RawConnection.open(stack.gateway.url);
    const { raw, headers } = oversized();
    const head = [`POST ${WEBHOOK} HTTP/1.1`, 'Host: localhost', 'transfer-encoding: chunked', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    const chunks: Buffer[] = [Buffer.from(`${head.join('\r\n')}\r\n\r\n`)];
    for (let i = 0; i < raw.length; i += 16_384) {
      const part = raw.slice(i, i + 16_384);
      chunks.push(Buffer.from(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`));
    }
    chunks.push(Buffer.from('0\r\n\r\n'));
    conn.write(Buffer.concat(chunks));
    await expect413ThenClosed(conn);
    await expectSignedWebhookAnswered('conv-after-chunked-413');
  });

  it('stops within the shutdown grace although a client never finishes its request', async () => {
    const { NATS_URL, MONGO_URL } = stack.gateway.app.get(GatewayEnv);
    const gateway = await startGateway(
      loadConfig(GatewayEnv, { NATS_URL, MONGO_URL, PORT: '0', LOG_LEVEL: 'silent', SLADESK_BODY_LIMIT: '65536', SLADESK_SHUTDOWN_GRACE_MS: '200' }, {}),
    );
    const started = new Promise<void>((resolve) => gateway.app.getHttpServer().on('request', (req: { url?: string }) => req.url === WEBHOOK && resolve()));
    const stalled = await RawConnection.open(gateway.url);
    // Headers and half of the promised body, then nothing: the request never completes.
    stalled.write(`POST ${WEBHOOK} HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n${'{"a":"'.padEnd(500, 'x')}`);
    const idle = await RawConnection.open(gateway.url);
    idle.request('GET', '/asyncapi.json', {});
    expect((await idle.response()).status).toBe(200);
    await started;

    // Without a grace, closing waits for the stalled request (Node's requestTimeout: 5 minutes).
    await gateway.stop();
    await stalled.closed;
    await idle.closed;
    expect(stalled.isClosed && idle.isClosed).toBe(true);
  });
});
