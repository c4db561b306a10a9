import { CONVERSATION_TOPICS, ignoredTopic, instant, lastPartBy, isAdmin, readNotification, senderOf } from './intercom-notification';

/** A conversation.user.created notification as Intercom documents it, with `author` replaced. */
const created = (author: unknown, source: Record<string, unknown> = {}) => ({
  type: 'notification_event',
  id: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e',
  topic: 'conversation.user.created',
  app_id: 'abc123',
  created_at: 1_764_237_600,
  data: {
    type: 'notification_event_data',
    item: {
      type: 'conversation',
      id: '5310d8e7598c9a0b24000002',
      created_at: 1_764_237_570,
      source: { type: 'conversation', subject: '', body: '<p>Export hangs</p>', author, ...source },
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [], total_count: 0 },
    },
  },
});

const conversationOf = (body: unknown) => {
  const read = readNotification(body);
  if ('problem' in read) throw new Error(read.problem);
  return read.notification.conversation!;
};

describe('reading an Intercom notification', () => {
  it('reads the documented conversation.user.created payload of a user', () => {
    const c = conversationOf(created({ type: 'user', id: '5310d8e7', name: 'Ada Lovelace', email: 'Ada@Acme.test' }));
    expect(c).toMatchObject({ id: '5310d8e7598c9a0b24000002', createdAt: 1_764_237_570, body: '<p>Export hangs</p>', subject: '', parts: [] });
    expect(senderOf(c.author)).toEqual({ name: 'Ada Lovelace', email: 'ada@acme.test' });
  });

  it('keeps what a lead without an email says about itself, and says why it cannot be matched', () => {
    const c = conversationOf(created({ id: '5f1b2c3d', type: 'lead' }));
    expect(c.author).toEqual({ id: '5f1b2c3d', type: 'lead' });
    expect(senderOf(c.author)).toEqual({ name: 'Intercom lead 5f1b2c3d', email: '', noEmail: 'the Intercom lead has no email address' });
  });

  it.each([
    ['email: null', { type: 'user', id: 'u1', name: 'Ada', email: null }, { name: 'Ada', email: '', noEmail: 'the Intercom user has no email address' }],
    ['email: "" and name: ""', { type: 'lead', id: 'l1', name: '', email: '' }, { name: 'Intercom lead l1', email: '', noEmail: 'the Intercom lead has no email address' }],
    ['a non-string email and name', { type: 'user', id: 'u2', name: { first: 'Ada' }, email: 42 }, { name: 'Intercom user u2', email: '', noEmail: 'the Intercom user has no email address' }],
    ['an email that is not an address', { type: 'user', id: 'u3', email: 'ada at acme' }, { name: 'Intercom user u3', email: '', noEmail: 'the Intercom user\'s email "ada at acme" is not an address' }],
    ['no author', undefined, { name: 'Intercom author', email: '', noEmail: 'the notification names no author' }],
    ['an author that is not an object', 'ada@acme.test', { name: 'Intercom author', email: '', noEmail: 'the notification names no author' }],
  ])('reads %s as a sender without an address', (_what, author, sender) => {
    expect(senderOf(conversationOf(created(author)).author)).toEqual(sender);
  });

  it('reads a body, subject or parts of the wrong type as absent', () => {
    const c = conversationOf(created({ type: 'user', email: 'ada@acme.test' }, { body: { html: '<p>x</p>' }, subject: null }));
    expect(c).toMatchObject({ body: '', subject: '' });
    const weirdParts = created({ type: 'user' });
    (weirdParts.data.item as Record<string, unknown>).conversation_parts = { conversation_parts: [null, 'x', { part_type: 'comment', body: 7, author: { type: 'admin', id: 99 } }] };
    expect(conversationOf(weirdParts).parts).toEqual([{ partType: 'comment', body: '', author: { type: 'admin', id: '99' } }]);
    (weirdParts.data.item as Record<string, unknown>).conversation_parts = 'none';
    expect(conversationOf(weirdParts).parts).toEqual([]);
  });

  it.each([
    ['a JSON array', []],
    ['no id', { topic: 'conversation.user.created', data: { item: { id: 'c1' } } }],
    ['an id with spaces', { id: 'a b', topic: 'ping' }],
    ['no topic', { id: 'n1' }],
    ['a conversation topic without a conversation id', { id: 'n1', topic: 'conversation.user.created', data: { item: {} } }],
    ['a conversation topic without data', { id: 'n1', topic: 'conversation.admin.closed' }],
  ])('says that %s is not a notification', (_what, body) => {
    expect(readNotification(body)).toEqual({ problem: expect.any(String) });
  });

  it('reads any other topic without a conversation (it will be acknowledged and ignored)', () => {
    expect(readNotification({ type: 'notification_event', id: 'n2', topic: 'contact.created', data: { item: { type: 'contact' } } })).toEqual({ notification: { id: 'n2', topic: 'contact.created' } });
    expect(CONVERSATION_TOPICS['contact.created']).toBeUndefined();
    expect(ignoredTopic('conversation.deleted')).toBe('topic conversation.deleted is not one SLA Desk acts on');
  });

  it('acts on the conversation topics a workspace sends', () => {
    expect(Object.keys(CONVERSATION_TOPICS).sort()).toEqual([
      'conversation.admin.assigned',
      'conversation.admin.closed',
      'conversation.admin.noted',
      'conversation.admin.opened',
      'conversation.admin.replied',
      'conversation.admin.snoozed',
      'conversation.admin.unsnoozed',
      'conversation.user.created',
      'conversation.user.replied',
    ]);
  });

  it('finds the part a notification is about: the latest by its kind of author', () => {
    const n = created({ type: 'user' });
    (n.data.item as Record<string, unknown>).conversation_parts = {
      conversation_parts: [
        { id: 'p1', part_type: 'comment', body: 'first', author: { type: 'admin', id: 'a1' } },
        { id: 'p2', part_type: 'comment', body: 'customer', author: { type: 'user', id: 'u1' } },
        { id: 'p3', part_type: 'note', body: 'second', author: { type: 'admin', id: 'a2' } },
      ],
    };
    expect(lastPartBy(conversationOf(n), isAdmin)?.id).toBe('p3');
  });

  it('never takes an instant later than now from Intercom, and now when there is none', () => {
    const now = new Date('2026-11-27T10:00:00Z');
    expect(instant(Date.parse('2026-11-27T09:59:30Z') / 1000, now).toISOString()).toBe('2026-11-27T09:59:30.000Z');
    expect(instant(Date.parse('2099-01-01T00:00:00Z') / 1000, now)).toEqual(now);
    expect(instant(undefined, now)).toEqual(now);
  });
});
