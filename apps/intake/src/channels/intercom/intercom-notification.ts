import { isEmail } from 'class-validator';

/**
 * Intercom webhook notifications (`notification_event`), read tolerantly: a correctly signed
 * notification is Intercom's word, so any field may be missing, `null` or of another type than
 * documented (a lead has no email, a part may have no body), and what we cannot read is treated as
 * absent rather than failing the delivery. Only a body that is not a notification at all (no id,
 * topic or conversation to act on) is refused.
 *
 * Shapes: https://developers.intercom.com/docs/references/2.11/webhooks/webhook-models (the
 * notification) and the Conversation model of the REST API (`data.item`).
 */

/** Who wrote a conversation or a part: `user`, `lead` or `contact` (customers), `admin`, `bot`, `team`. */
export interface IntercomAuthor {
  type?: string;
  id?: string;
  name?: string;
  /** As Intercom sent it (may be empty or not an address); see `senderOf`. */
  email?: string;
}

export interface IntercomPart {
  id?: string;
  partType?: string;
  /** HTML, as Intercom sends it ('' when there is none). */
  body: string;
  createdAt?: number;
  author?: IntercomAuthor;
  /** For assignment parts: who the conversation went to. */
  assignedTo?: { type?: string; id?: string; name?: string };
}

export interface IntercomConversation {
  id: string;
  createdAt?: number;
  subject: string;
  /** HTML of the message that opened the conversation. */
  body: string;
  author?: IntercomAuthor;
  /** The parts the notification carries, oldest first (usually just the one it is about). */
  parts: IntercomPart[];
  snoozedUntil?: number;
  adminAssigneeId?: string;
}

export interface IntercomNotification {
  id: string;
  topic: string;
  createdAt?: number;
  /** Present for `conversation.*` topics. */
  conversation?: IntercomConversation;
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Intercom ids are strings; a number is taken as its digits. */
const id = (v: unknown): string | undefined => {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v : undefined;
  return s !== undefined && ID.test(s) ? s : undefined;
};
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;

function author(v: unknown): IntercomAuthor | undefined {
  const a = obj(v);
  if (!a) return undefined;
  const read = defined({ type: str(a.type, 32), id: id(a.id), name: str(a.name, 200)?.trim(), email: str(a.email, 320)?.trim() });
  return Object.keys(read).length ? read : undefined;
}

function part(v: unknown): IntercomPart | undefined {
  const p = obj(v);
  if (!p) return undefined;
  const to = obj(p.assigned_to);
  return {
    ...defined({ id: id(p.id), partType: str(p.part_type, 64), createdAt: num(p.created_at), author: author(p.author) }),
    body: str(p.body, 1_000_000) ?? '',
    ...(to ? { assignedTo: defined({ type: str(to.type, 32), id: id(to.id), name: str(to.name, 200) }) } : {}),
  };
}

function conversation(v: unknown): IntercomConversation | undefined {
  const c = obj(v);
  const conversationId = c && id(c.id);
  if (!c || !conversationId) return undefined;
  const source = obj(c.source) ?? {};
  const list = obj(c.conversation_parts)?.conversation_parts;
  return {
    id: conversationId,
    ...defined({ createdAt: num(c.created_at), author: author(source.author), snoozedUntil: num(c.snoozed_until), adminAssigneeId: id(c.admin_assignee_id) }),
    subject: str(source.subject, 10_000) ?? '',
    body: str(source.body, 1_000_000) ?? '',
    parts: Array.isArray(list) ? list.map(part).filter((p): p is IntercomPart => p !== undefined) : [],
  };
}

/** The notification, or why the body is not one. */
export function readNotification(parsed: unknown): { notification: IntercomNotification } | { problem: string } {
  const n = obj(parsed);
  if (!n) return { problem: 'body is not a JSON object' };
  const notificationId = id(n.id);
  if (!notificationId) return { problem: 'id is missing or malformed' };
  const topic = str(n.topic, 200);
  if (!topic) return { problem: 'topic is missing' };
  const base = { id: notificationId, topic, ...defined({ createdAt: num(n.created_at) }) };
  if (!topic.startsWith('conversation.')) return { notification: base };
  const item = conversation(obj(n.data)?.item);
  if (!item) return { problem: 'data.item is not a conversation with an id' };
  return { notification: { ...base, conversation: item } };
}

const CUSTOMERS = new Set(['user', 'lead', 'contact']);
export const isCustomer = (a?: IntercomAuthor): boolean => CUSTOMERS.has(a?.type ?? '');
export const isAdmin = (a?: IntercomAuthor): boolean => a?.type === 'admin';

/** The latest part written by `who` (the part the notification is about). */
export function lastPartBy(c: IntercomConversation, who: (a?: IntercomAuthor) => boolean): IntercomPart | undefined {
  for (let i = c.parts.length - 1; i >= 0; i--) if (who(c.parts[i].author)) return c.parts[i];
  return undefined;
}

/** A Unix time from Intercom, never later than now (their clock may run ahead); `now` when absent. */
export const instant = (unixSeconds: number | undefined, now: Date): Date =>
  unixSeconds !== undefined && unixSeconds > 0 && unixSeconds * 1000 <= now.getTime() ? new Date(unixSeconds * 1000) : now;

/** Who a customer is, as far as the payload says: an address we can match, or why there is none. */
export interface Sender {
  name: string;
  /** '' when the payload gives no usable address. */
  email: string;
  /** Why the sender cannot be matched by address, when `email` is ''. */
  noEmail?: string;
}

export function senderOf(a: IntercomAuthor | undefined): Sender {
  const raw = a?.email ?? '';
  const email = isEmail(raw) ? raw.toLowerCase() : '';
  const who = a?.type === 'lead' ? 'Intercom lead' : a?.type === 'user' || a?.type === 'contact' ? 'Intercom user' : 'Intercom author';
  const name = a?.name || email.split('@')[0] || (a?.id ? `${who} ${a.id}` : who);
  if (email) return { name, email };
  if (!a) return { name, email, noEmail: 'the notification names no author' };
  return { name, email, noEmail: raw ? `the ${who}'s email "${raw.slice(0, 100)}" is not an address` : `the ${who} has no email address` };
}

/** What a conversation topic does to its case; every other topic is acknowledged and ignored. */
export type ConversationAction = 'open' | 'customer-reply' | 'response' | 'note' | 'resolve' | 'reopen' | 'snoozed' | 'unsnoozed' | 'assigned';

export const CONVERSATION_TOPICS: Readonly<Record<string, ConversationAction>> = {
  'conversation.user.created': 'open',
  'conversation.user.replied': 'customer-reply',
  'conversation.admin.replied': 'response',
  'conversation.admin.noted': 'note',
  'conversation.admin.closed': 'resolve',
  'conversation.admin.opened': 'reopen',
  'conversation.admin.snoozed': 'snoozed',
  'conversation.admin.unsnoozed': 'unsnoozed',
  'conversation.admin.assigned': 'assigned',
};

/** Why a topic changes nothing here (the answer says so, and Intercom stops redelivering). */
export function ignoredTopic(topic: string): string {
  if (topic === 'ping') return 'ping';
  if (topic === 'conversation.admin.single.created') return 'a conversation an admin started is not a customer inquiry';
  return `topic ${topic} is not one SLA Desk acts on`;
}
