import { createHmac } from 'node:crypto';
import { INTERCOM_SECRET, jsonOf, seedAcme, Stack, startStack } from './stack';

const inquiry = (receivedAt: string) => ({
  accountId: 'acme',
  contact: { name: 'Ada', email: 'ada@acme.test' },
  channel: 'api',
  subject: 'Login fails',
  description: 'Every login answers 500.',
  receivedAt,
});

describe('implausible input is refused with a code', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('implausible_input', { escalation: true });
    await seedAcme(stack);
  });
  afterAll(() => stack?.stop());

  it('refuses a case received in 2099 with 400 CASE.RECEIVED_IN_FUTURE and records nothing', async () => {
    const before = await stack.db.collection('cases').countDocuments({});
    const res = await stack.http('/v1/cases', { json: inquiry('2099-01-01T00:00:00Z') });
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body).toMatchObject({ code: 'CASE.RECEIVED_IN_FUTURE', details: { receivedAt: '2099-01-01T00:00:00.000Z', latestAccepted: expect.any(String) } });
    expect(await stack.db.collection('cases').countDocuments({})).toBe(before);
  });

  it('accepts a clock a minute ahead, and records the inquiry as received no later than intake got it', async () => {
    const ahead = new Date(Date.now() + 60_000).toISOString();
    const res = await stack.http('/v1/cases', { json: inquiry(ahead) });
    expect(res.status).toBe(201);
    const c = await jsonOf(res);
    const stored = await stack.db.collection('cases').findOne({ _id: c.id as never });
    expect(stored!.receivedAt.getTime()).toBeLessThanOrEqual(stored!.createdAt.getTime());
  });

  it('takes an Intercom conversation created "in the future" as received when it arrived, instead of refusing it', async () => {
    const raw = JSON.stringify({
      type: 'notification_event',
      id: 'notif-future',
      topic: 'conversation.user.created',
      data: { item: { type: 'conversation', id: 'conv-future', created_at: Math.floor(Date.parse('2099-01-01T00:00:00Z') / 1000), source: { body: 'x', author: { type: 'user', email: 'ada@acme.test' } } } },
    });
    const res = await stack.http('/v1/channels/intercom/webhook', {
      key: null,
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', 'x-hub-signature': `sha1=${createHmac('sha1', INTERCOM_SECRET).update(raw).digest('hex')}` },
    });
    expect(res.status).toBe(200);
    const stored = await stack.db.collection('cases').findOne({ intercomConversationId: 'conv-future' });
    expect(stored!.receivedAt.getTime()).toBeLessThanOrEqual(stored!.createdAt.getTime());
  });

  it('refuses an escalation policy for an account that does not exist with 404 ACCOUNT.NOT_FOUND', async () => {
    const put = await stack.http('/v1/escalation-policies', { json: { accountId: 'no-such-account', maxRepeats: 1 } });
    expect(put.status).toBe(404);
    expect((await jsonOf(put)).code).toBe('ACCOUNT.NOT_FOUND');
    const get = await stack.http('/v1/escalation-policies?accountId=no-such-account');
    expect(get.status).toBe(404);
    expect((await jsonOf(get)).code).toBe('ACCOUNT.NOT_FOUND');

    // An account that exists keeps its override; the default policy needs no account.
    const ok = await stack.http('/v1/escalation-policies', { json: { accountId: 'acme', maxRepeats: 1 } });
    expect(ok.status).toBe(200);
    expect(await jsonOf(ok)).toMatchObject({ accountId: 'acme' });
    expect((await stack.http('/v1/escalation-policies', { json: { maxRepeats: 2 } })).status).toBe(200);
  });
});
