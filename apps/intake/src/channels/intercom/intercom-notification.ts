/** The parts of an Intercom webhook notification (a `notification_event`) that intake reads. */
export interface IntercomAuthor {
  type?: string;
  id?: string;
  name?: string | null;
  email?: string | null;
}

export interface IntercomPart {
  id?: string;
  part_type?: string;
  body?: string | null;
  created_at?: number;
  author?: IntercomAuthor;
}

export interface IntercomConversation {
  type?: string;
  id: string;
  created_at?: number;
  source?: {
    subject?: string | null;
    body?: string | null;
    author?: IntercomAuthor;
    attachments?: { name?: string; content_type?: string; filesize?: number; url?: string }[];
  };
  conversation_parts?: { conversation_parts?: IntercomPart[] };
}

export interface IntercomNotification {
  type?: string;
  id: string;
  topic: string;
  created_at?: number;
  data: { item: IntercomConversation };
}

const CUSTOMER = new Set(['user', 'lead', 'contact']);

export const isCustomer = (a?: IntercomAuthor): boolean => CUSTOMER.has(a?.type ?? '');

/** The latest part of the conversation written by `who` (the part the notification is about). */
export function lastPartBy(
  c: IntercomConversation,
  who: (a?: IntercomAuthor) => boolean,
): IntercomPart | undefined {
  const parts = c.conversation_parts?.conversation_parts ?? [];
  for (let i = parts.length - 1; i >= 0; i--) if (who(parts[i].author)) return parts[i];
  return undefined;
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Narrows parsed JSON to a notification we can act on, or explains why not. */
export function notificationProblem(n: unknown): string | null {
  const v = n as Partial<IntercomNotification> | null;
  if (typeof v !== 'object' || v === null) return 'body is not a JSON object';
  if (typeof v.id !== 'string' || !ID.test(v.id)) return 'id is missing or malformed';
  if (typeof v.topic !== 'string') return 'topic is missing';
  if (v.topic.startsWith('conversation.')) {
    const item = v.data?.item as Partial<IntercomConversation> | undefined;
    if (typeof item !== 'object' || item === null || typeof item.id !== 'string' || !ID.test(item.id))
      return 'data.item.id is missing or malformed';
  }
  return null;
}

export const instant = (unixSeconds: number | undefined, fallback: Date): Date =>
  typeof unixSeconds === 'number' && Number.isFinite(unixSeconds) && unixSeconds > 0
    ? new Date(unixSeconds * 1000)
    : fallback;
