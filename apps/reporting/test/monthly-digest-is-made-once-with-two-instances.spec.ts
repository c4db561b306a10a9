import { EventEnvelope, Events, Rpc, Streams } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { ParsedMail } from 'mailparser';
import mongoose from 'mongoose';
import { ev, opened, projected, publishAll, slaMet } from './fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse = require('pdf-parse/lib/pdf-parse.js') as (b: Buffer) => Promise<{ text: string }>;

/** The month before the current one in New York, as the digest computes it. */
function lastMonth(now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit' }).formatToParts(now);
  const y = Number(parts.find((p) => p.type === 'year')!.value);
  const m = Number(parts.find((p) => p.type === 'month')!.value);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

const recipients = (m: ParsedMail): string => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).map((a) => a.text).join(', ');

const member = (id: string, name: string, roles: ('executive' | 'csm')[], active = true) =>
  ev(Events.StaffCreated, { id, name, email: `${id}@vendor.test`, roles, active, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });

describe('the monthly executive digest', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let smtp: SmtpSink;
  const instances: ServiceChild[] = [];
  const mongoUrl = testMongoUrl('reporting_digest');
  const month = lastMonth();

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    smtp = await startSmtpSink();
    await publishAll(bus, [
      member('erin', 'Erin Exec', ['executive']),
      member('ed', 'Ed Exec', ['executive', 'csm']),
      member('carla', 'Carla CSM', ['csm']),
      member('gone', 'Gone Exec', ['executive'], false),
      opened('m1', 1, 'acme', 'high', `${month}-10T12:00:00.000Z`),
      slaMet('m1', 'acme', 'first_response', 'high', `${month}-10T13:00:00.000Z`, 3600, true),
      opened('m2', 2, 'acme', 'high', `${month}-11T12:00:00.000Z`),
      slaMet('m2', 'acme', 'first_response', 'high', `${month}-11T18:00:00.000Z`, 21_600, false),
    ]);
    // First the read models, then the digest: one instance projects, then two race for the digest every second.
    const projector = spawnService('reporting', { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_DIGEST_ENABLED: 'false' });
    await projector.ready;
    await waitFor(() => projected(bus), 'events projected', 30_000, 100);
    await projector.kill();
    for (const name of ['one', 'two']) {
      instances.push(
        spawnService('reporting', {
          NATS_URL: nats.url,
          MONGO_URL: mongoUrl,
          SLADESK_INSTANCE_ID: name,
          SLADESK_DIGEST_CRON: '* * * * * *',
          SLADESK_SMTP_URL: smtp.url,
          SLADESK_MAIL_FROM: 'sla-desk@vendor.test',
        }),
      );
    }
    await Promise.all(instances.map((i) => i.ready));
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await smtp?.stop();
    await nats?.cleanup();
  });

  it('is made once although two instances run its schedule, stored, published, and mailed with the PDF to every active executive', async () => {
    const subject = `SLA Desk executive digest ${month}`;
    await Promise.all(['erin@vendor.test', 'ed@vendor.test'].map((to) => smtp.waitFor((m) => m.subject === subject && recipients(m).includes(to), 30_000)));
    // Both instances have since seen the finished digest on a later tick and left it alone.
    await waitFor(() => instances.every((i) => i.output().includes(`digest ${month}: already made by`)), 'both instances to see the digest done', 15_000, 100);

    const mails = smtp.messages.filter((m) => m.subject === subject);
    expect(mails.map(recipients).sort()).toEqual(['"Ed Exec" <ed@vendor.test>', '"Erin Exec" <erin@vendor.test>']);
    const pdf = mails[0].attachments.find((a) => a.contentType === 'application/pdf')!;
    expect(pdf.filename).toBe(`sladesk-executive-digest-${month}.pdf`);
    const text = (await pdfParse(pdf.content)).text;
    for (const t of [`Executive digest ${month}`, 'Executive summary', '50.0 %', 'Availability', 'unavailable']) expect(text).toContain(t);

    const [digest] = await bus.request(Rpc.DigestList, { month });
    expect(digest).toMatchObject({ month, state: 'mailed', recipients: ['ed', 'erin'] });
    expect(['one', 'two']).toContain(digest.instance);
    const stored = await bus.request(Rpc.ExportGet, { id: digest.exportId! });
    expect(stored).toMatchObject({ state: 'done', format: 'pdf', report: 'sla-compliance', period: { month }, filename: `sladesk-executive-digest-${month}.pdf` });
    const ready = (await waitFor(
      () => bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.ReportReady }).then((m) => m!.json<EventEnvelope<any>>()).catch(() => null),
      'report.ready',
    ))!;
    expect(ready.payload).toMatchObject({ exportId: digest.exportId, purpose: 'digest', format: 'pdf', from: `${month}-01` });
    expect(await db.collection('report_digests').countDocuments({})).toBe(1);
  });
});
