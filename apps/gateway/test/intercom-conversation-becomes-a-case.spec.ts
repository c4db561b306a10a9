import { Events, Streams } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { createHmac } from 'node:crypto';
import { INTERCOM_SECRET, jsonOf, seedAcme, Stack, startStack } from './stack';

const sign = (raw: string, secret = INTERCOM_SECRET) => `sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`;
const t = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A notification as Intercom sends it (fields trimmed to those that matter). */
function notification(id: string, topic: string, conversationId: string, parts: object[] = [], email = 'ada@acme.test') {
  return {
    type: 'notification_event',
    id,
    topic,
    app_id: 'app1',
    created_at: t('2026-11-27T10:00:00Z'),
    delivery_attempts: 1,
    data: {
      type: 'notification_event_data',
      item: {
        type: 'conversation',
        id: conversationId,
        created_at: t('2026-11-27T09:59:30Z'),
        source: {
          type: 'conversation',
          subject: '',
          body: '<p>Our dashboard is <b>down</b> since 9am.</p><script>alert(1)</script>',
          author: { type: 'user', id: 'u1', name: 'Ada Lovelace', email },
        },
        conversation_parts: { type: 'conversation_part.list', conversation_parts: parts },
      },
    },
  };
}

describe('an Intercom conversation becomes a case, through the signed webhook', () => {
  let stack: Stack;
  const post = (body: object, signature?: string) => {
    const raw = JSON.stringify(body);
    return stack.http('/v1/channels/intercom/webhook', {
      key: null,
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-hub-signature': signature } : { 'x-hub-signature': sign(raw) }) },
    });
  };
  const count = async () => ({
    cases: await stack.db.collection('cases').countDocuments({}),
    review: await stack.db.collection('review_items').countDocuments({}),
  });

  beforeAll(async () => {
    stack = await startStack('intercom');
    await seedAcme(stack);
    await stack.http('/v1/staff', { json: { id: 'agent-ian', name: 'Ian Agent', email: 'ian@vendor.test', roles: ['tier2'], intercomAdminId: 'ic-admin-7' } });
  });
  afterAll(() => stack?.stop());

  it('rejects a wrong or missing signature with 401 and stores nothing', async () => {
    const body = notification('notif-forged', 'conversation.user.created', 'conv-x');
    const before = await count();
    for (const signature of [sign(JSON.stringify(body), 'not-the-secret-at-all'), '', 'sha1=zz']) {
      const res = await post(body, signature);
      expect(res.status).toBe(401);
      expect((await jsonOf(res)).code).toBe('CHANNEL.BAD_SIGNATURE');
    }
    // The signature covers the exact bytes: the same JSON re-spaced is refused too.
    const raw = JSON.stringify(body);
    const res = await stack.http('/v1/channels/intercom/webhook', {
      key: null,
      method: 'POST',
      body: JSON.stringify(body, null, 2),
      headers: { 'content-type': 'application/json', 'x-hub-signature': sign(raw) },
    });
    expect(res.status).toBe(401);
    expect(await count()).toEqual(before);
  });

  it('opens a case from conversation.user.created once, however often Intercom redelivers it', async () => {
    const body = notification('notif-1', 'conversation.user.created', 'conv-1');
    const first = await post(body);
    expect(first.status).toBe(200);
    const applied = await jsonOf(first);
    expect(applied).toMatchObject({ outcome: 'applied', caseId: expect.any(String) });
    const again = await jsonOf(await post(body));
    expect(again).toEqual({ outcome: 'duplicate', caseId: applied.caseId });
    expect(await stack.db.collection('cases').countDocuments({ intercomConversationId: 'conv-1' })).toBe(1);

    const c = await jsonOf(await stack.http(`/v1/cases/${applied.caseId}`));
    expect(c).toMatchObject({
      accountId: 'acme',
      channel: 'intercom',
      contact: { name: 'Ada Lovelace', email: 'ada@acme.test' },
      receivedAt: '2026-11-27T09:59:30.000Z',
      severity: 'critical',
      category: 'technical',
      classification: { severity: { source: 'rule', matched: 'down' } },
      status: 'new',
    });
    expect(c.description).toBe('Our dashboard is down since 9am.');
  });

  it('takes an admin reply as the first response, a user reply as a customer reply, and closing as the resolution', async () => {
    const caseId = (await jsonOf(await post(notification('notif-2', 'conversation.user.created', 'conv-2')))).caseId;
    const adminPart = { id: 'p1', part_type: 'comment', body: '<p>We are on it.</p>', created_at: t('2026-11-27T10:05:00Z'), author: { type: 'admin', id: 'ic-admin-7', name: 'Ian' } };
    const replied = notification('notif-3', 'conversation.admin.replied', 'conv-2', [adminPart]);
    expect(await jsonOf(await post(replied))).toEqual({ outcome: 'applied', caseId });
    expect(await jsonOf(await post(replied))).toEqual({ outcome: 'duplicate', caseId });

    const userPart = { id: 'p2', part_type: 'comment', body: '<p>Thanks, still down.</p>', created_at: t('2026-11-27T10:07:00Z'), author: { type: 'user', id: 'u1', name: 'Ada Lovelace' } };
    await post(notification('notif-4', 'conversation.user.replied', 'conv-2', [adminPart, userPart]));
    const closePart = { id: 'p3', part_type: 'close', body: '<p>Fixed the load balancer.</p>', created_at: t('2026-11-27T10:30:00Z'), author: { type: 'admin', id: 'ic-admin-7', name: 'Ian' } };
    await post(notification('notif-5', 'conversation.admin.closed', 'conv-2', [adminPart, userPart, closePart]));

    const c = await jsonOf(await stack.http(`/v1/cases/${caseId}`));
    expect(c.firstResponse).toEqual({ at: '2026-11-27T10:05:00.000Z', by: { kind: 'staff', id: 'agent-ian', name: 'Ian Agent' } });
    expect(c.resolution).toMatchObject({ at: '2026-11-27T10:30:00.000Z', summary: 'Fixed the load balancer.', by: { id: 'agent-ian' } });
    expect(c.status).toBe('resolved');
    expect(c.timeline.map((e: { kind: string }) => e.kind)).toEqual(['opened', 'response', 'status_changed', 'customer_reply', 'resolved']);
    // Responses that came from Intercom are not sent back to it.
    expect(stack.intercom.requests).toHaveLength(0);

    const resolved = await waitFor(
      () => stack.bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.CaseResolved }).catch(() => null),
      'case.resolved in the stream',
    );
    expect(resolved!.json<{ payload: { caseId: string } }>().payload.caseId).toBe(caseId);
  });

  it('posts a response given in SLA Desk into the Intercom conversation, as the staff member', async () => {
    const caseId = (await jsonOf(await post(notification('notif-6', 'conversation.user.created', 'conv-3')))).caseId;
    const res = await stack.http(`/v1/cases/${caseId}/responses`, { json: { by: 'agent-ian', text: 'Restarting the service now.\n\nETA 10 min.' } });
    expect(res.status).toBe(201);
    expect((await jsonOf(res)).entry).toMatchObject({ kind: 'response', data: { channel: 'intercom', first: true } });
    const sent = await waitFor(() => stack.intercom.requests.find((r) => r.path === '/conversations/conv-3/reply'), 'reply posted to Intercom');
    expect(sent!.headers.authorization).toBe('Bearer intercom-token');
    expect(sent!.body).toEqual({ message_type: 'comment', type: 'admin', admin_id: 'ic-admin-7', body: '<p>Restarting the service now.</p><p>ETA 10 min.</p>' });
  });

  it('keeps a conversation from an unknown user in the review queue instead of dropping it', async () => {
    const res = await post(notification('notif-7', 'conversation.user.created', 'conv-4', [], 'someone@unknown.test'));
    expect(await jsonOf(res)).toEqual({ outcome: 'review' });
    const queue = await jsonOf(await stack.http('/v1/channels/review-queue?channel=intercom'));
    expect(queue.items).toEqual([expect.objectContaining({ channel: 'intercom', status: 'pending', from: { name: 'Ada Lovelace', email: 'someone@unknown.test' } })]);

    const accepted = await stack.http(`/v1/channels/review-queue/${queue.items[0].id}/accept`, { json: { accountId: 'acme' } });
    expect(accepted.status).toBe(200);
    const c = await jsonOf(accepted);
    expect(c).toMatchObject({ accountId: 'acme', channel: 'intercom', intercomConversationId: 'conv-4' });
    expect((await jsonOf(await stack.http(`/v1/channels/review-queue/${queue.items[0].id}/accept`, { json: { accountId: 'acme' } }))).id).toBe(c.id);
  });

  it('answers a malformed notification with 400 and an unhandled topic with ignored', async () => {
    const bad = await post({ hello: 'world' });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).code).toBe('REQUEST.MALFORMED');
    expect(await jsonOf(await post({ type: 'notification_event', id: 'notif-ping', topic: 'ping', data: { item: {} } }))).toEqual({ outcome: 'ignored', reason: 'ping' });
  });
});
