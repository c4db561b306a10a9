import { TimelineVerification } from '@sladesk/contracts';
import { createHash } from 'node:crypto';
import { TimelineEntry } from '../case.schema';

/** `prevHash` of a case's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type UnsealedEntry = Omit<TimelineEntry, 'seq' | 'prevHash' | 'hash'>;

/** JSON with sorted keys and no `undefined`: the same facts always give the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The hashed form of an entry, built field by field so that how MongoDB stores optional values
 * (absent, null, empty array) cannot change a hash. The case id binds the entry to its case.
 */
function hashedFacts(caseId: string, e: Omit<TimelineEntry, 'hash' | 'requestHash'>) {
  return {
    caseId,
    seq: e.seq,
    kind: e.kind,
    at: e.at.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    actor: { kind: e.actor.kind, id: e.actor.id ?? null, name: e.actor.name },
    text: e.text ?? '',
    data: e.data ?? null,
    attachments: (e.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      sha256: a.sha256,
    })),
    source: e.source ?? null,
  };
}

export function entryHash(caseId: string, e: Omit<TimelineEntry, 'hash' | 'requestHash'>): string {
  return createHash('sha256')
    .update(e.prevHash)
    .update('\n')
    .update(canonicalJson(hashedFacts(caseId, e)))
    .digest('hex');
}

/** Appends entries after `head`, each chained to the one before. */
export function seal(
  caseId: string,
  head: { seq: number; hash: string },
  entries: UnsealedEntry[],
): TimelineEntry[] {
  const sealed: TimelineEntry[] = [];
  let prev = head;
  for (const e of entries) {
    const unsealed = { ...e, seq: prev.seq + 1, prevHash: prev.hash };
    const entry = { ...unsealed, hash: entryHash(caseId, unsealed) };
    sealed.push(entry);
    prev = entry;
  }
  return sealed;
}

/** Recomputes the chain and names the first entry that does not fit it. */
export function verifyChain(caseId: string, entries: TimelineEntry[]): TimelineVerification {
  let prevHash = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    const broken = (reason: string): TimelineVerification => ({
      intact: false,
      entries: entries.length,
      headHash: prevHash,
      brokenAt: { seq: e.seq ?? i + 1, reason },
    });
    if (e.seq !== i + 1) return broken(`expected sequence ${i + 1}, found ${e.seq}`);
    if (e.prevHash !== prevHash) return broken('prevHash does not match the previous entry');
    if (entryHash(caseId, e) !== e.hash) return broken('content does not match its hash');
    prevHash = e.hash;
  }
  return { intact: true, entries: entries.length, headHash: prevHash };
}
