import { Actor, CaseStatus, EventEnvelope, Events } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { CaseDecision } from './case-changes.service';
import { Case } from './case.schema';
import { UnsealedEntry } from './timeline/timeline';

// Building blocks shared by the use cases: every status change is recorded and announced the same way.

type Partial = Pick<CaseDecision, 'set' | 'unset' | 'events'> & { entries: UnsealedEntry[] };

export const entry = (
  kind: UnsealedEntry['kind'],
  at: Date,
  actor: Actor,
  text: string,
  data?: Record<string, unknown>,
): UnsealedEntry => ({
  kind,
  at,
  recordedAt: at,
  actor: { ...actor },
  text,
  ...(data ? { data } : {}),
});

export function statusChange(
  c: Case,
  to: CaseStatus,
  by: Actor,
  at: Date,
  reason = '',
): { entry: UnsealedEntry; event: EventEnvelope } {
  return {
    entry: entry('status_changed', at, by, reason, { from: c.status, to }),
    event: outboxEvent(Events.CaseStatusChanged, {
      caseId: c._id,
      accountId: c.accountId,
      at: at.toISOString(),
      from: c.status,
      to,
      by,
    }),
  };
}

/** Back to open from resolved or closed: `status-changed` for status followers, `reopened` with the count. */
export function reopen(c: Case, by: Actor, at: Date, reason: string): Partial {
  const reopenCount = (c.reopenCount ?? 0) + 1;
  const change = statusChange(c, 'open', by, at, reason);
  return {
    entries: [entry('reopened', at, by, reason, { from: c.status, reopenCount })],
    set: { status: 'open', reopenCount },
    unset: ['resolution'],
    events: [
      change.event,
      outboxEvent(Events.CaseReopened, {
        caseId: c._id,
        accountId: c.accountId,
        at: at.toISOString(),
        by,
        reopenCount,
      }),
    ],
  };
}

/** Concatenates decisions made in steps (e.g. a reply that also reopens). */
export function combine(first: Partial, ...more: Partial[]): CaseDecision {
  const all = [first, ...more];
  const entries = all.flatMap((p) => p.entries);
  return {
    entries: entries as CaseDecision['entries'],
    set: Object.assign({}, ...all.map((p) => p.set ?? {})),
    unset: all.flatMap((p) => p.unset ?? []),
    events: all.flatMap((p) => p.events),
  };
}
