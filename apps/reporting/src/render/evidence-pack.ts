import { stringify } from 'csv-stringify';
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { periodLabel } from '../reports/period';
import { ReportDoc } from '../reports/report-doc';
import { CaseDoc, SupportRecordReport } from '../reports/support-record.report';
import { renderCsv } from './csv';
import { renderPdf } from './pdf';
import { Progress } from './streams';
import { VERIFY_SCRIPT } from './verify-script';

interface FileDigest {
  sha256: string;
  bytes: number;
}

/** Hashes what passes through. */
function digesting(into: Map<string, FileDigest>, name: string): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      into.set(name, { sha256: hash.digest('hex'), bytes });
      done();
    },
  });
}

const readme = (r: ReportDoc) => `SLA Desk evidence pack - support record ${periodLabel(r.period)}${r.accountId ? `, account ${r.accountName ?? r.accountId} (${r.accountId})` : ', all accounts'}
Generated ${r.generatedAt}

support-record.csv   the contract's record of every case: contact and time, response, description and
                     analysis, every step and action, resolution (one row per case)
support-record.pdf   the same with the executive summary and charts
timelines.jsonl      one line per case: its hash-chained timeline, every entry exactly as sealed
head-hashes.csv      per case: number of entries and the hash of the last one (the head)
manifest.json        sha256 of every file above
verify.mjs           checks all of it offline:   node verify.mjs .   (Node 18 or later, no dependencies)

Each timeline entry's hash is sha256(previous hash + "\\n" + canonical JSON of the entry's facts and its
case id); the first entry's previous hash is 64 zeros. Editing, removing or reordering any entry breaks
the chain from there on. Removing the last entries keeps the chain intact but changes the head: compare
head-hashes.csv with the head hashes SLA Desk reports (GET /v1/cases/{id}/timeline?verify=true) or with
an earlier pack.
`;

/**
 * The evidence pack: the support record as CSV and PDF, then per case its hash-chained timeline and head
 * hash, a manifest, and a verification script an auditor runs offline. Streamed: each part is produced
 * when the zip reaches it, from its own cursor.
 */
export async function renderEvidencePack(r: ReportDoc, support: SupportRecordReport, cases: () => AsyncIterable<CaseDoc>, out: Writable, progress = new Progress()): Promise<void> {
  const zip = new ZipFile();
  const digests = new Map<string, FileDigest>();
  const work: Promise<void>[] = [];
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  failed.catch(() => undefined);
  const produced = (name: string, produce: (into: Writable) => Promise<void>) => {
    zip.addReadStreamLazy(name, (cb) => {
      const data = new PassThrough();
      const hashed = digesting(digests, name);
      data.pipe(hashed);
      const consumed = new Promise<void>((resolve, reject) => hashed.once('end', resolve).once('error', reject));
      const done = Promise.all([produce(data), consumed]).then(() => undefined);
      done.catch((e) => zip.emit('error', e));
      work.push(done);
      cb(null, hashed);
    });
  };
  const sink = pipeline(zip.outputStream, out);

  produced('support-record.csv', (into) => renderCsv(r.tables[0], into, progress));
  produced('support-record.pdf', (into) => renderPdf(r, into));
  produced('timelines.jsonl', async (into) => {
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const c of cases()) {
            const entries = await support.timeline(c);
            yield `${JSON.stringify({ caseId: c._id, number: c.number ?? null, accountId: c.accountId ?? null, headHash: entries.at(-1)?.hash ?? null, entries })}\n`;
          }
        })(),
      ),
      into,
    );
  });
  produced('head-hashes.csv', async (into) => {
    const csv = stringify({ header: true, columns: ['case_id', 'case_number', 'account_id', 'entries', 'head_hash'] });
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const c of cases()) {
            const entries = await support.timeline(c);
            yield { case_id: c._id, case_number: c.number ?? '', account_id: c.accountId ?? '', entries: entries.length, head_hash: entries.at(-1)?.hash ?? '' };
          }
        })(),
      ),
      csv,
      into,
    );
  });
  const fixed: [string, string][] = [
    ['verify.mjs', VERIFY_SCRIPT],
    ['README.txt', readme(r)],
  ];
  for (const [name, text] of fixed) {
    const buf = Buffer.from(text);
    digests.set(name, { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length });
    zip.addBuffer(buf, name, name === 'verify.mjs' ? { mode: 0o100755 } : {});
  }
  // The manifest comes last: it names the digests of the parts streamed before it.
  zip.addReadStreamLazy('manifest.json', (cb) => {
    void Promise.all(work).then(
      () => {
        const files = Object.fromEntries(digests);
        const manifest = { report: 'support-record', period: r.period, accountId: r.accountId ?? null, generatedAt: r.generatedAt, cases: progress.rows, files };
        cb(null, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
      },
      (e) => cb(e as Error, undefined as never),
    );
  });
  zip.end();
  await Promise.race([sink, failed]);
}
