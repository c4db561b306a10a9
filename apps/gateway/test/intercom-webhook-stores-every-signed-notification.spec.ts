import { createHmac } from 'node:crypto';
import { INTERCOM_SECRET, jsonOf, seedAcme, Stack, startStack } from './stack';

const sign = (raw: string) => `sha1=${createHmac('sha1', INTERCOM_SECRET).update(raw).digest('hex')}`;
const t = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Intercom's documented notification: `source` and `conversation_parts` as given. */
function notification(id: string, topic: string, conversationId: string, source: Record<string, unknown>, parts: object[] = [], extra: object = {}) {
  return {
    type: 'notification_event',
    id,
    topic,
    app_id: 'app1',
    created_at: t('2026-11-27T10:00:00Z'),
    data: {
      type: 'notification_event_data',
      item: {
        type: 'conversation',
        id: conversationId,
        created_at: t('2026-11-27T09:59:30Z'),
        source: { type: 'conversation', subject: '', body: '<p>The nightly export never finishes.</p>', ...source },
        conversation_parts: { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length },
        ...extra,
      },
    },
  };
}
const ada = { type: 'user', id: 'u1', name: 'Ada Lovelace', email: 'ada@acme.test' };
const ian = { type: 'admin', id: 'ic-admin-7', name: 'Ian', email: 'ian@vendor.test' };
const adminPart = (id: string, partType: string, at: string, body: string | null = null, more: object = {}) => ({
  type: 'conversation_part',
  id,
  part_type: partType,
  body,
  created_at: t(at),
  author: ian,
  ...more,
});

describe('every correctly signed Intercom notification is stored and answered 2xx', () => {
  let stack: Stack;
  const post = (body: unknown) => {
    const raw = JSON.stringify(body);
    return stack.http('/v1/channels/intercom/webhook', { key: null, method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature': sign(raw) } });
  };
  const answer = async (body: unknown) => {
    const res = await post(body);
    return { status: res.status, body: await jsonOf(res) };
  };
  const reviewItem = (conversationId: string) => stack.db.collection('review_items').findOne({ intercomConversationId: conversationId });

  beforeAll(async () => {
    stack = await startStack('intercom_every_notification');
    await seedAcme(stack);
    await stack.http('/v1/staff', { json: { id: 'agent-ian', name: 'Ian Agent', email: 'ian@vendor.test', roles: ['tier2'], intercomAdminId: 'ic-admin-7' } });
  });
  afterAll(() => stack?.stop());

  it('queues a lead without an email for review, keeping what Intercom says about it; accepting it asks for a contact', async () => {
    const res = await answer(notification('notif-lead', 'conversation.user.created', 'conv-lead', { author: { id: '5f1b2c3d4e', type: 'lead' } }));
    expect(res).toEqual({ status: 200, body: { outcome: 'review' } });
    expect(await answer(notification('notif-lead', 'conversation.user.created', 'conv-lead', { author: { id: '5f1b2c3d4e', type: 'lead' } }))).toEqual({ status: 200, body: { outcome: 'duplicate' } });

    const queue = await jsonOf(await stack.http('/v1/channels/review-queue?channel=intercom'));
    const item = queue.items.find((i: { subject: string; id: string }) => i.subject === 'The nightly export never finishes.');
    expect(item).toMatchObject({
      status: 'pending',
      reason: 'the Intercom lead has no email address',
      from: { name: 'Intercom lead 5f1b2c3d4e', email: '' },
      intercomAuthor: { id: '5f1b2c3d4e', type: 'lead' },
      text: 'The nightly export never finishes.',
      receivedAt: '2026-11-27T09:59:30.000Z',
    });

    const refused = await stack.http(`/v1/channels/review-queue/${item.id}/accept`, { json: { accountId: 'acme' } });
    expect(refused.status).toBe(422);
    expect((await jsonOf(refused)).code).toBe('REVIEW.CONTACT_REQUIRED');
    const accepted = await stack.http(`/v1/channels/review-queue/${item.id}/accept`, { json: { accountId: 'acme', contact: { name: 'Grace Hopper', email: 'grace@acme.test' } } });
    expect(accepted.status).toBe(200);
    expect(await jsonOf(accepted)).toMatchObject({ accountId: 'acme', channel: 'intercom', intercomConversationId: 'conv-lead', contact: { name: 'Grace Hopper', email: 'grace@acme.test' } });
  });

  it.each([
    ['email: null', 'null-email', { author: { type: 'user', id: 'u9', name: 'Ada', email: null } }, { name: 'Ada', email: '' }],
    ['no author', 'no-author', {}, { name: 'Intercom author', email: '' }],
    ['a non-string email and name', 'odd-author', { author: { type: 'user', id: 'u8', name: ['Ada'], email: { address: 'ada@acme.test' } } }, { name: 'Intercom user u8', email: '' }],
  ])('queues a conversation with %s for review instead of failing', async (_what, key, source, from) => {
    const res = await answer(notification(`notif-${key}`, 'conversation.user.created', `conv-${key}`, source));
    expect(res).toEqual({ status: 200, body: { outcome: 'review' } });
    expect((await reviewItem(`conv-${key}`))?.from).toEqual(from);
  });

  it('opens a case from a known user whose message body is not a string', async () => {
    const res = await answer(notification('notif-odd-body', 'conversation.user.created', 'conv-odd-body', { author: ada, body: { html: '<p>hi</p>' }, subject: 42 }));
    expect(res).toMatchObject({ status: 200, body: { outcome: 'applied', caseId: expect.any(String) } });
    const c = await jsonOf(await stack.http(`/v1/cases/${res.body.caseId}`));
    expect(c).toMatchObject({ accountId: 'acme', description: '', subject: 'Intercom conversation conv-odd-body', contact: { email: 'ada@acme.test' } });
  });

  it('records notes, snoozes, assignments, closing and reopening in the case, each once', async () => {
    const opened = await answer(notification('n-open', 'conversation.user.created', 'conv-life', { author: ada }));
    const caseId = opened.body.caseId;
    const steps: [string, object][] = [
      ['conversation.admin.noted', notification('n-note', 'conversation.admin.noted', 'conv-life', { author: ada }, [adminPart('p1', 'note', '2026-11-27T10:01:00Z', '<p>Looks like the <b>queue</b> is stuck.</p>')])],
      ['conversation.admin.snoozed', notification('n-snooze', 'conversation.admin.snoozed', 'conv-life', { author: ada }, [adminPart('p2', 'snoozed', '2026-11-27T10:02:00Z')], { snoozed_until: t('2026-11-27T14:00:00Z') })],
      ['conversation.admin.unsnoozed', notification('n-unsnooze', 'conversation.admin.unsnoozed', 'conv-life', { author: ada }, [adminPart('p3', 'unsnoozed', '2026-11-27T10:03:00Z')])],
      ['conversation.admin.assigned', notification('n-assign', 'conversation.admin.assigned', 'conv-life', { author: ada }, [adminPart('p4', 'assignment', '2026-11-27T10:04:00Z', null, { assigned_to: { type: 'admin', id: 'ic-admin-7' } })])],
      ['conversation.admin.closed', notification('n-close', 'conversation.admin.closed', 'conv-life', { author: ada }, [adminPart('p5', 'close', '2026-11-27T10:05:00Z', '<p>Queue restarted.</p>')])],
      ['conversation.admin.opened', notification('n-reopen', 'conversation.admin.opened', 'conv-life', { author: ada }, [adminPart('p6', 'open', '2026-11-27T10:06:00Z')])],
    ];
    for (const [topic, body] of steps) {
      expect([topic, await answer(body)]).toEqual([topic, { status: 200, body: { outcome: 'applied', caseId } }]);
      expect([topic, await answer(body)]).toEqual([topic, { status: 200, body: { outcome: 'duplicate', caseId } }]);
    }
    const c = await jsonOf(await stack.http(`/v1/cases/${caseId}`));
    expect(c.status).toBe('open');
    expect(c.reopenCount).toBe(1);
    const entries = c.timeline.map((e: { kind: string; text: string; actor: { name: string } }) => [e.kind, e.text, e.actor.name]);
    expect(entries).toEqual([
      ['opened', 'The nightly export never finishes.', 'Ada Lovelace'],
      ['note', 'Looks like the queue is stuck.', 'Ian Agent'],
      ['step', 'Snoozed in Intercom until 2026-11-27T14:00:00.000Z', 'Ian Agent'],
      ['step', 'Unsnoozed in Intercom', 'Ian Agent'],
      ['step', 'Assigned in Intercom to Ian Agent', 'Ian Agent'],
      ['resolved', 'Queue restarted.', 'Ian Agent'],
      ['reopened', 'Reopened in Intercom', 'Ian Agent'],
    ]);
    // Reopening a case that is open changes nothing, and says so.
    const again = await answer(notification('n-reopen-2', 'conversation.admin.opened', 'conv-life', { author: ada }, [adminPart('p7', 'open', '2026-11-27T10:07:00Z')]));
    expect(again).toEqual({ status: 200, body: { outcome: 'ignored', reason: expect.stringContaining('is open') } });
  });

  it('acknowledges every other topic and says why it is ignored', async () => {
    for (const [topic, item] of [
      ['ping', { type: 'ping', message: 'Hello' }],
      ['contact.created', { type: 'contact', id: 'c1', role: 'lead' }],
      ['conversation.deleted', { type: 'conversation', id: 'conv-gone' }],
      ['conversation.admin.single.created', { type: 'conversation', id: 'conv-outbound', source: { author: ian, body: '<p>Hi!</p>' } }],
    ] as const) {
      const res = await answer({ type: 'notification_event', id: `n-${topic}`, topic, data: { type: 'notification_event_data', item } });
      expect([topic, res]).toEqual([topic, { status: 200, body: { outcome: 'ignored', reason: expect.any(String) } }]);
    }
    // An admin action on a conversation that has no case here.
    const orphan = await answer(notification('n-orphan', 'conversation.admin.noted', 'conv-unknown', { author: ada }, [adminPart('p1', 'note', '2026-11-27T10:01:00Z', 'x')]));
    expect(orphan).toEqual({ status: 200, body: { outcome: 'ignored', reason: expect.stringContaining('conv-unknown') } });
  });

  it('answers a signed body that is not an Intercom notification with 400 REQUEST.MALFORMED', async () => {
    for (const body of [{ hello: 'world' }, [], 'just a string', { id: 'n-x', topic: 'conversation.user.created', data: { item: { type: 'conversation' } } }]) {
      const res = await answer(body);
      expect([body, res.status, res.body.code]).toEqual([body, 400, 'REQUEST.MALFORMED']);
    }
  });
});
