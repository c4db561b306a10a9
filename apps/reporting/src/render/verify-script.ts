/**
 * `verify.mjs`, shipped in every evidence pack: a dependency-free Node program (Node 18 or later) that
 * recomputes each case's hash chain exactly as intake seals it (apps/intake/src/cases/timeline/timeline.ts:
 * sha256 over the previous hash, a newline and the canonical JSON of the entry's facts, bound to the
 * case id) and checks the pack's files against the manifest. Both hash versions: 1 (every value hashed)
 * and 2 (an entry with \`pd\`: its personal data hashed as salted commitments, so it can be erased; see
 * timeline.ts, personalDataApart). Kept as text here so the pack carries the very program the tests run.
 */
export const VERIFY_SCRIPT = String.raw`#!/usr/bin/env node
// Verifies an SLA Desk evidence pack offline: node verify.mjs [folder of the unzipped pack]
// For every case in timelines.jsonl it recomputes the hash chain of its timeline (sequence 1, 2, 3 ...;
// each prevHash is the previous entry's hash; each hash covers the entry's facts) and compares the
// last hash with head-hashes.csv. It also checks every file against the sha256 in manifest.json.
// Hash version 2 (entries with "pd"): the text, a contact's name and the personal data fields are hashed
// as salted commitments sha256(salt, path, value); while the salt is there each value must match its
// commitment; an erased entry (pd.erased, no salt) must hold no personal value any more.
// Exit code 0: everything verified; 1: something was altered, removed, reordered or is missing.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const dir = resolve(process.argv[2] || '.');
const GENESIS = '0'.repeat(64);
const problems = [];
let v2 = 0;
let erased = 0;

function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',') + '}';
}

function facts(caseId, e) {
  return {
    caseId,
    seq: e.seq,
    kind: e.kind,
    at: new Date(e.at).toISOString(),
    recordedAt: new Date(e.recordedAt).toISOString(),
    actor: { kind: e.actor.kind, id: e.actor.id ?? null, name: e.actor.name },
    text: e.text ?? '',
    data: e.data ?? null,
    attachments: (e.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, sha256: a.sha256 })),
    source: e.source ?? null,
  };
}

const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

// Hash version 2: where personal data sits in an entry (paths use "/").
const PERSONAL_DATA_PATHS = ['text', 'actor/name', 'data/subject', 'data/contactEmail', 'data/email', 'data/name'];
function valueAt(e, path) {
  if (path === 'text') return e.text ?? '';
  if (path === 'actor/name') return e.actor.kind === 'contact' ? e.actor.name : undefined;
  const v = e.data?.[path.slice(5)];
  return typeof v === 'string' ? v : undefined;
}

function hashedFacts(caseId, e) {
  const f = facts(caseId, e);
  if (!e.pd) return f;
  const c = e.pd.c || {};
  const committed = (path, plain) => (c[path] !== undefined ? { commitment: c[path] } : plain);
  const data = e.data ? Object.fromEntries(Object.entries(e.data).map(([k, v]) => [k, committed('data/' + k, v)])) : null;
  return { ...f, v: 2, actor: { ...f.actor, name: committed('actor/name', f.actor.name) }, text: committed('text', f.text), data };
}

/** Why the personal data of a version-2 entry does not fit its commitments, or null. */
function personalDataProblem(e) {
  if (!e.pd) return null;
  const c = e.pd.c || {};
  if (e.pd.erased) {
    // Erased: the values are gone (the contact's name is a pseudonym, which is not checked).
    if ((e.text ?? '') !== '' && c.text !== undefined) return 'erased, yet it has a text';
    for (const path of Object.keys(c)) if (path.startsWith('data/') && valueAt(e, path) !== undefined && valueAt(e, path) !== '[erased]') return 'erased, yet ' + path + ' has a value';
    return null;
  }
  if (!e.pd.salt) return 'personal data without its salt';
  const now = {};
  for (const path of PERSONAL_DATA_PATHS) {
    const v = valueAt(e, path);
    if (v !== undefined) now[path] = sha256(e.pd.salt + '\n' + path + '\n' + v);
  }
  const keys = Object.keys(c).sort();
  if (JSON.stringify(keys) !== JSON.stringify(Object.keys(now).sort())) return 'personal data fields differ from their commitments';
  for (const k of keys) if (now[k] !== c[k]) return k + ' does not match its commitment (altered)';
  return null;
}

function verifyChain(caseId, entries) {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.seq !== i + 1) return { ok: false, at: e.seq, why: 'expected entry ' + (i + 1) + ', found ' + e.seq + ' (removed or reordered)' };
    if (e.prevHash !== prev) return { ok: false, at: e.seq, why: 'prevHash does not match the previous entry' };
    if (sha256(prev, '\n', canonicalJson(hashedFacts(caseId, e))) !== e.hash) return { ok: false, at: e.seq, why: 'content does not match its hash (altered)' };
    const pd = personalDataProblem(e);
    if (pd) return { ok: false, at: e.seq, why: 'personal data: ' + pd };
    if (e.pd) v2++;
    if (e.pd?.erased) erased++;
    prev = e.hash;
  }
  return { ok: true, head: prev };
}

function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
for (const [name, f] of Object.entries(manifest.files)) {
  let actual;
  try { actual = sha256(readFileSync(join(dir, name))); } catch { problems.push(name + ': missing'); continue; }
  if (actual !== f.sha256) problems.push(name + ': sha256 differs from the manifest (altered)');
}

const heads = new Map();
const headLines = readFileSync(join(dir, 'head-hashes.csv'), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean);
const cols = parseCsvLine(headLines[0]);
for (const line of headLines.slice(1)) {
  const v = parseCsvLine(line);
  const row = Object.fromEntries(cols.map((c, i) => [c, v[i]]));
  heads.set(row.case_id, { entries: Number(row.entries), headHash: row.head_hash });
}

let cases = 0;
let verified = 0;
const seen = new Set();
const lines = createInterface({ input: createReadStream(join(dir, 'timelines.jsonl'), 'utf8'), crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  cases++;
  const t = JSON.parse(line);
  seen.add(t.caseId);
  const label = 'case ' + (t.number ?? '?') + ' (' + t.caseId + ')';
  const r = verifyChain(t.caseId, t.entries);
  const expected = heads.get(t.caseId);
  if (!r.ok) problems.push(label + ': entry ' + r.at + ': ' + r.why);
  else if (!expected) problems.push(label + ': not in head-hashes.csv');
  else if (expected.entries !== t.entries.length) problems.push(label + ': ' + t.entries.length + ' entries, head-hashes.csv says ' + expected.entries + ' (removed)');
  else if (expected.headHash !== r.head) problems.push(label + ': head hash ' + r.head + ' differs from head-hashes.csv ' + expected.headHash);
  else verified++;
}
for (const id of heads.keys()) if (!seen.has(id)) problems.push('case ' + id + ': in head-hashes.csv but its timeline is missing');

for (const p of problems) console.log('FAIL ' + p);
console.log((problems.length ? 'NOT VERIFIED' : 'VERIFIED') + ': ' + verified + ' of ' + cases + ' case timelines intact, ' + Object.keys(manifest.files).length + ' files checked' + (v2 ? ', ' + v2 + ' entries of hash version 2 (' + erased + ' erased)' : ''));
process.exit(problems.length ? 1 : 0);
`;
