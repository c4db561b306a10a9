import { Writable } from 'node:stream';
import { ReportDoc } from '../reports/report-doc';
import { Progress, write } from './streams';

/** The report as one JSON document: its figures and summary, then every table's rows, streamed. */
export async function renderJson(doc: ReportDoc, out: Writable, progress = new Progress()): Promise<void> {
  const head = {
    report: doc.report,
    title: doc.title,
    period: doc.period,
    ...(doc.accountId ? { accountId: doc.accountId, accountName: doc.accountName } : {}),
    generatedAt: doc.generatedAt,
    ...(doc.notice ? { notice: doc.notice } : {}),
    figures: doc.figures,
    summary: doc.summary,
  };
  await write(out, `${JSON.stringify(head).slice(0, -1)},"tables":{`);
  for (const [i, t] of doc.tables.entries()) {
    await write(out, `${i ? ',' : ''}${JSON.stringify(t.name)}:[`);
    let first = true;
    for await (const row of progress.count(t)) {
      await write(out, `${first ? '' : ','}${JSON.stringify(row)}`);
      first = false;
    }
    await write(out, ']');
  }
  await write(out, '}}');
  out.end();
  await new Promise<void>((resolve, reject) => {
    if (out.writableFinished) return resolve();
    out.once('finish', resolve).once('error', reject);
  });
}
