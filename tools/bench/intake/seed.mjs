// Seeding "existing cases" fast, in the shape the services themselves write.
//
// Template cases are created through the API and left to run through the whole pipeline (intake, sla,
// escalation, reporting; resolved or acknowledged where the benchmark asks for it). Then the documents
// of every collection are read and sorted into:
//  - per-case documents: those that name exactly one template's case id, other than as a member of a
//    list (the case, its keys, its clock history, its escalations, notifications, read-model rows …).
//    Each clone is a copy with the case id, its Idempotency-Key, its number and every id derived from
//    them replaced (see idKind), inserted with insertMany;
//  - shared documents that list cases (or their escalations, notifications …) as map keys or array
//    elements (sets of an account's cases per day, due-time buckets, reporting buckets …): each clone
//    is added next to its template there, in a few large updates;
//  - anything else that names a template (an id inside a packed string, a document naming several
//    templates otherwise) is left as it is and reported.
// Nothing here knows the services' schemas; the few storage facts it relies on are passed in by run.mjs
// (STORE there).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { EJSON, ObjectId } = require('bson');
const { v7: uuidv7 } = require('uuid');

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ejson = (v) => EJSON.stringify(v, { relaxed: false });
// Map keys that hold ids are percent-encoded where `.`, `$`, `%` would not be allowed (libs/persistence).
const encodeKey = (id) =>
  id.replace(/[%.$]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const decodeKey = (k) => k.replace(/%([0-9A-F]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
const isPlain = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Where a shared document lists one of `members` (id → template): as a map key (`{ <id>: value }`), as
 * an array element, or as an array element that is an object with a field equal to it. Returns one op
 * per place.
 */
function memberships(doc, members) {
  const ops = [];
  const walk = (v, path) => {
    if (Array.isArray(v)) {
      v.forEach((e) => {
        if (typeof e === 'string' && members.has(e)) ops.push({ kind: 'element', path, member: e, value: e });
        else if (isPlain(e)) {
          // an entry such as { caseId: <id>, at: … }: one of its own fields is exactly the id
          const m = Object.values(e).find((f) => typeof f === 'string' && members.has(f));
          if (m) ops.push({ kind: 'element', path, member: m, value: e });
        }
      });
      return;
    }
    if (!isPlain(v)) return;
    for (const [k, e] of Object.entries(v)) {
      if (path.length === 0 && k === '_id') continue;
      const id = decodeKey(k);
      if (members.has(id))
        ops.push({ kind: 'key', path: [...path, k], member: id, encoded: id !== k, value: e });
      else walk(e, [...path, k]);
    }
  };
  walk(doc, []);
  return ops.filter((op) => op.path.every((p) => !p.includes('.')));
}

/**
 * Sorts the documents that name the templates (see the top of this file). Per template: its per-case
 * documents as canonical EJSON (types survive the round trip); and the shared documents' places where
 * it (or one of its per-case documents' ids) is listed.
 */
export async function captureTemplates(db, templates, { skip = [] } = {}) {
  const names = (await db.listCollections().toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith('system.'))
    .sort();
  const docs = [];
  for (const col of names)
    for (const doc of await db.collection(col).find({}).toArray()) docs.push({ col, doc, text: ejson(doc) });

  const byTemplate = new Map(templates.map((t) => [t.caseId, []]));
  const perCollection = {};
  const skipped = {};
  const rest = [];
  for (const d of docs) {
    const hits = templates.filter((t) => d.text.includes(t.caseId));
    if (skip.includes(d.col)) {
      if (hits.length) skipped[d.col] = (skipped[d.col] ?? 0) + 1;
      continue;
    }
    // About exactly one template, and not listing it as a member of something: a per-case document.
    const t = hits.length === 1 ? hits[0] : undefined;
    const own = t && memberships(d.doc, new Map([[t.caseId, t]])).length === 0;
    if (own) {
      byTemplate.get(t.caseId).push({ col: d.col, text: d.text, id: d.doc._id });
      perCollection[d.col] = (perCollection[d.col] ?? 0) + 1;
    } else rest.push(d);
  }

  // Members: a template's case id and the string ids of its per-case documents (escalations, notifications …).
  const members = new Map();
  for (const t of templates) {
    members.set(t.caseId, t);
    for (const d of byTemplate.get(t.caseId))
      if (typeof d.id === 'string' && d.id.length >= 8) members.set(d.id, t);
  }
  const aggregates = [];
  const sharedPerCollection = {};
  const leftOut = {};
  for (const d of rest) {
    const ops = memberships(d.doc, members);
    if (ops.length) {
      aggregates.push({
        col: d.col,
        id: d.doc._id,
        ops: ops.map((op) => ({
          ...op,
          template: members.get(op.member).caseId,
          value: ejson({ v: op.value }),
        })),
      });
      sharedPerCollection[d.col] = (sharedPerCollection[d.col] ?? 0) + 1;
    } else if (templates.some((t) => d.text.includes(t.caseId))) leftOut[d.col] = (leftOut[d.col] ?? 0) + 1;
  }
  return {
    templates: templates.map((t) => ({ ...t, docs: byTemplate.get(t.caseId) })),
    aggregates,
    perCase: Object.fromEntries(Object.entries(perCollection).map(([c, n]) => [c, n / templates.length])),
    sharedDocuments: sharedPerCollection,
    leftOut,
    skipped,
    examples: Object.fromEntries(
      Object.entries(perCollection).map(([c]) => [
        c,
        byTemplate
          .get(templates[0].caseId)
          .find((d) => d.col === c)
          ?.text.slice(0, 1500) ?? null,
      ]),
    ),
  };
}

/** The number at which the next free position of an append-only list `<prefix>:<k>` is (k from 0, no gaps). */
async function nextPosition(collection, prefix) {
  const exists = async (k) =>
    (await collection.findOne({ _id: `${prefix}:${k}` }, { projection: { _id: 1 } })) !== null;
  if (!(await exists(0))) return 0;
  let lo = 0;
  let hi = 1;
  while (await exists(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * How a clone's `_id` is made when the template's does not contain the case id:
 *  - an ObjectId: a new one;
 *  - `<prefix>:<k>` (an append-only list such as sla's case index): the list's next free position;
 *  - any other string (ids hashed from their cause, e.g. `esc_<22 chars>`): same prefix, a new hash of
 *    the same length; other documents of the clone that mention the old id get the new one.
 */
function idKind(id) {
  if (id instanceof ObjectId) return { kind: 'objectid' };
  if (typeof id !== 'string') throw new Error(`cannot clone a document with _id ${ejson(id)}`);
  const m = /^(.+):(\d+)$/.exec(id);
  if (m) return { kind: 'position', prefix: m[1] };
  const h = /^([A-Za-z]+_)?(.+)$/.exec(id);
  return { kind: 'hashed', prefix: h[1] ?? '', length: h[2].length };
}

/**
 * The case number is replaced where it appears as a `number` field, as `#<n>` in texts, and in the
 * string forms `numberTokens` gives (e.g. intake's key `number:<n>`).
 */
function compile(template, numberTokens) {
  const { caseId, key, number } = template;
  const forms = [
    {
      re: `"number":\\{"\\$number(?:Int|Long|Double)":"${number}(?:\\.0)?"\\}`,
      to: (n) => `"number":{"$numberInt":"${n}"}`,
    },
    { re: `#${number}(?![0-9])`, to: (n) => `#${n}` },
    ...numberTokens.map((t) => ({ re: `${escapeRe(t(number))}(?![0-9])`, to: t })),
  ];
  const numberRe = new RegExp(forms.map((f) => `(${f.re})`).join('|'), 'g');
  const numberTo = (m, n) => forms[m.slice(1, forms.length + 1).findIndex((g) => g !== undefined)].to(n);
  const docs = template.docs.map((d) => {
    const idHasCase = (() => {
      const idText = ejson({ _id: d.id });
      return idText.includes(caseId) || idText.includes(key) || new RegExp(numberRe.source).test(idText);
    })();
    const kind = idHasCase ? { kind: 'substituted' } : idKind(d.id);
    return {
      col: d.col,
      text: d.text,
      id: d.id,
      ...kind,
      list: kind.kind === 'position' ? `${d.col}\u0000${kind.prefix}` : undefined,
    };
  });
  const hashed = docs.filter((d) => d.kind === 'hashed');
  const replaceRe = new RegExp([caseId, key, ...hashed.map((d) => d.id)].map(escapeRe).join('|'), 'g');
  return { template, docs, numberRe, numberTo, replaceRe };
}

/**
 * Inserts `count` clones of the templates (`openPercent` of them from the open templates, the rest
 * from the resolved ones; each clone takes the next template in turn), and lists each clone where its
 * template is listed in shared documents. Returns what it wrote.
 */
export async function seedCases(db, captured, count, opts) {
  const {
    openPercent = 10,
    batchCases = 250,
    inFlight = 2,
    numberCounter,
    numberTokens = [],
    positionHints = {},
    keyPrefix,
    log = () => undefined,
  } = opts;
  const started = Date.now();
  const { templates, aggregates } = captured;
  const open = templates.filter((t) => t.state === 'open').map((t) => compile(t, numberTokens));
  const resolved = templates.filter((t) => t.state === 'resolved').map((t) => compile(t, numberTokens));
  if (!open.length || !resolved.length) throw new Error('seeding needs open and resolved templates');
  const opsByTemplate = new Map();
  aggregates.forEach((a, i) => {
    for (const op of a.ops) {
      if (!opsByTemplate.has(op.template)) opsByTemplate.set(op.template, []);
      opsByTemplate.get(op.template).push({ ...op, aggregate: i });
    }
  });

  // Case numbers: after the highest one ever reserved (the services are stopped while seeding).
  const counter = db.collection(numberCounter.collection);
  const c = await counter.findOne({ _id: numberCounter.id });
  let nextNumber = (c?.[numberCounter.field] ?? 0) + 1;

  // Append-only lists: where each one ends now.
  const positions = new Map();
  for (const t of [...open, ...resolved]) {
    for (const d of t.docs) {
      if (d.kind !== 'position' || positions.has(d.list)) continue;
      positions.set(d.list, {
        col: d.col,
        prefix: d.prefix,
        next: await nextPosition(db.collection(d.col), d.prefix),
      });
    }
  }

  // Additions to shared documents, written when many have gathered (each update rewrites the document).
  const pendingAdds = new Map(); // aggregate index → { set: {}, push: {}, n }
  let sharedUpdates = 0;
  let sharedAdds = 0;
  const flush = async (i) => {
    const p = pendingAdds.get(i);
    if (!p || p.n === 0) return;
    pendingAdds.delete(i);
    const a = aggregates[i];
    const update = {};
    if (Object.keys(p.set).length) update.$set = p.set;
    if (Object.keys(p.push).length)
      update.$push = Object.fromEntries(Object.entries(p.push).map(([k, v]) => [k, { $each: v }]));
    await db.collection(a.col).updateOne({ _id: a.id }, update);
    sharedUpdates += 1;
    sharedAdds += p.n;
  };

  const written = {};
  const sample = [];
  let done = 0;
  let docsWritten = 0;
  let nextReport = 0.05;
  const one = (i) => {
    const t = i % 100 < openPercent ? open[i % open.length] : resolved[i % resolved.length];
    const caseId = uuidv7();
    if (i < 3 || i >= count - 3) sample.push({ caseId, number: nextNumber, template: t.template.caseId });
    const key = `${keyPrefix}-${i}`;
    const number = nextNumber++;
    const idMap = new Map([
      [t.template.caseId, caseId],
      [t.template.key, key],
    ]);
    for (const d of t.docs) {
      if (d.kind !== 'hashed') continue;
      const hash = createHash('sha256')
        .update(`${d.id}\u0000${caseId}`)
        .digest('base64url')
        .slice(0, d.length);
      idMap.set(d.id, d.prefix + hash);
    }
    const rewrite = (text) =>
      text.replace(t.replaceRe, (m) => idMap.get(m)).replace(t.numberRe, (...m) => t.numberTo(m, number));
    const out = [];
    for (const d of t.docs) {
      const doc = EJSON.parse(rewrite(d.text), { relaxed: false });
      if (d.kind === 'objectid') doc._id = new ObjectId();
      else if (d.kind === 'position') {
        const p = positions.get(d.list);
        doc._id = `${p.prefix}:${p.next++}`;
      }
      out.push([d.col, doc]);
    }
    const adds = [];
    for (const op of opsByTemplate.get(t.template.caseId) ?? []) {
      const value = EJSON.parse(rewrite(op.value), { relaxed: false }).v;
      adds.push({ op, value, member: rewrite(op.member) });
    }
    return { docs: out, adds };
  };

  const pending = new Set();
  for (let i = 0; i < count; i += batchCases) {
    const byCol = new Map();
    const n = Math.min(batchCases, count - i);
    for (let j = i; j < i + n; j++) {
      const { docs, adds } = one(j);
      for (const [col, doc] of docs) {
        if (!byCol.has(col)) byCol.set(col, []);
        byCol.get(col).push(doc);
      }
      for (const { op, value, member } of adds) {
        let p = pendingAdds.get(op.aggregate);
        if (!p) pendingAdds.set(op.aggregate, (p = { set: {}, push: {}, n: 0 }));
        if (op.kind === 'key')
          p.set[[...op.path.slice(0, -1), op.encoded ? encodeKey(member) : member].join('.')] = value;
        else (p.push[op.path.join('.')] ??= []).push(value);
        p.n += 1;
      }
    }
    const full = [...pendingAdds.entries()].filter(([, p]) => p.n >= 5000).map(([k]) => k);
    const p = (async () => {
      for (const [col, docs] of byCol) {
        await db.collection(col).insertMany(docs, { ordered: false });
        written[col] = (written[col] ?? 0) + docs.length;
        docsWritten += docs.length;
      }
      for (const k of full) await flush(k);
      done += n;
      if (done / count >= nextReport || done === count) {
        const s = (Date.now() - started) / 1000;
        log(
          `seeded ${done.toLocaleString('en')}/${count.toLocaleString('en')} cases (${Math.round((100 * done) / count)} %, ${docsWritten.toLocaleString('en')} documents, ${Math.round(done / s)} cases/s, ETA ${Math.round((s / done) * (count - done))} s)`,
        );
        while (nextReport <= done / count) nextReport += 0.05;
      }
    })();
    pending.add(p);
    p.finally(() => pending.delete(p));
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  for (const k of [...pendingAdds.keys()]) await flush(k);

  await counter.updateOne(
    { _id: numberCounter.id },
    { $max: { [numberCounter.field]: nextNumber - 1 } },
    { upsert: true },
  );
  // Lists that keep a hint where they end (so a restarted service does not probe from 0): move it.
  for (const p of positions.values()) {
    const hint = positionHints[p.col];
    if (hint && p.next > 0)
      await db
        .collection(p.col)
        .updateOne({ _id: hint.id(p.prefix) }, { $max: { [hint.field]: p.next - 1 } }, { upsert: true });
  }
  return {
    cases: count,
    documents: docsWritten,
    byCollection: written,
    sharedAdditions: sharedAdds,
    sharedUpdates,
    sample,
    seconds: (Date.now() - started) / 1000,
  };
}
