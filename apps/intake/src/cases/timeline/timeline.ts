import { TimelineVerification } from '@sladesk/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { PersonalDataCommitments, TimelineEntry } from '../case.schema';

/** `prevHash` of a case's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type UnsealedEntry = Omit<TimelineEntry, 'seq' | 'prevHash' | 'hash' | 'pd'>;

// ---- personal data (hash version 2) -----------------------------------------------------------

/**
 * Where an entry carries personal data: its free text (a customer's message, our answer, a note about
 * them), a contact's name, and the addresses and subject the data holds. Hash version 2 hashes salted
 * commitments to these instead of the values, so they can be erased without breaking the chain.
 */
// Paths use `/`: keys with a dot are refused by FerretDB (and are paths to MongoDB).
const PERSONAL_DATA_PATHS = ['text', 'actor/name', 'data/subject', 'data/contactEmail', 'data/email', 'data/name'] as const;
type PersonalPath = (typeof PERSONAL_DATA_PATHS)[number];

function valueAt(e: Pick<TimelineEntry, 'text' | 'actor' | 'data'>, path: PersonalPath): string | undefined {
  if (path === 'text') return e.text ?? '';
  // Staff and the system are not the people erasure is about; their names stay hashed as they are.
  if (path === 'actor/name') return e.actor.kind === 'contact' ? e.actor.name : undefined;
  const v = e.data?.[path.slice(5)];
  return typeof v === 'string' ? v : undefined;
}

const commitment = (salt: string, path: string, value: string): string => createHash('sha256').update(`${salt}\n${path}\n${value}`).digest('hex');

/** Salted commitments to the personal data of an entry (a fresh 128-bit salt per entry). */
export function commit(e: Pick<TimelineEntry, 'text' | 'actor' | 'data'>, salt = randomBytes(16).toString('hex')): PersonalDataCommitments {
  const c: Record<string, string> = {};
  for (const path of PERSONAL_DATA_PATHS) {
    const v = valueAt(e, path);
    if (v !== undefined) c[path] = commitment(salt, path, v);
  }
  return { salt, c };
}

/** Whether the values of a version-2 entry still match their commitments (erased entries have none to match). */
function commitmentsHold(e: TimelineEntry): boolean {
  if (!e.pd || e.pd.erased) return true;
  if (!e.pd.salt) return false;
  const now = commit(e, e.pd.salt).c;
  const keys = Object.keys(e.pd.c).sort();
  return JSON.stringify(keys) === JSON.stringify(Object.keys(now).sort()) && keys.every((k) => now[k] === e.pd!.c[k]);
}

/** A version-1 entry holds personal data inside its hash: erasing it would break the chain. */
export const holdsPersonalData = (e: TimelineEntry): boolean => PERSONAL_DATA_PATHS.some((p) => { const v = valueAt(e, p); return v !== undefined && v !== ''; });

/**
 * The entry without its personal data: values replaced (the name by `pseudonym`), the salt gone, the
 * commitments kept — its hash is unchanged. Version-1 entries cannot be: null.
 */
export function erasedEntry(e: TimelineEntry, pseudonym: string): TimelineEntry | null {
  if (!e.pd) return null;
  if (e.pd.erased) return e;
  const data = e.data ? { ...e.data } : undefined;
  for (const path of Object.keys(e.pd.c)) if (path.startsWith('data/') && data) data[path.slice(5)] = '[erased]';
  return {
    ...e,
    text: '',
    actor: e.actor.kind === 'contact' ? { ...e.actor, name: pseudonym } : e.actor,
    ...(data ? { data } : {}),
    pd: { c: e.pd.c, erased: true },
  };
}

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
function hashedFacts(caseId: string, e: Omit<TimelineEntry, 'hash' | 'requestHash'>): Record<string, unknown> {
  return e.pd ? personalDataApart(caseId, e, e.pd) : plainFacts(caseId, e);
}

/** Version 1: every fact as it is. */
function plainFacts(caseId: string, e: Omit<TimelineEntry, 'hash' | 'requestHash'>) {
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

/** Version 2: the same facts, each personal value replaced by its commitment, and the version itself hashed. */
function personalDataApart(caseId: string, e: Omit<TimelineEntry, 'hash' | 'requestHash'>, pd: PersonalDataCommitments) {
  const committed = (path: PersonalPath, plain: unknown) => (pd.c[path] !== undefined ? { commitment: pd.c[path] } : plain);
  const data = e.data ? Object.fromEntries(Object.entries(e.data).map(([k, v]) => [k, committed(`data/${k}` as PersonalPath, v)])) : null;
  const facts = plainFacts(caseId, e);
  return {
    ...facts,
    v: 2,
    actor: { ...facts.actor, name: committed('actor/name', facts.actor.name) },
    text: committed('text', facts.text),
    data,
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
  /** Hash version 2: personal data committed to, so it can be erased later (SLADESK_PERSONAL_DATA_COMMITMENTS). */
  personalData = false,
): TimelineEntry[] {
  const sealed: TimelineEntry[] = [];
  let prev = head;
  for (const e of entries) {
    const unsealed: Omit<TimelineEntry, 'hash'> = { ...e, seq: prev.seq + 1, prevHash: prev.hash, ...(personalData ? { pd: commit(e) } : {}) };
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
    if (!commitmentsHold(e)) return broken('personal data does not match its commitment');
    prevHash = e.hash;
  }
  return { intact: true, entries: entries.length, headHash: prevHash };
}
