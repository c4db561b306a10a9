import { Events, Rpc, Streams } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { ParsedMail } from 'mailparser';
import mongoose from 'mongoose';
import { ev, projected, publishAll } from './fixtures';

function lastMonth(now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit' }).formatToParts(now);
  const y = Number(parts.find((p) => p.type === 'year')!.value);
  const m = Number(parts.find((p) => p.type === 'month')!.value);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

const recipients = (m: ParsedMail): string => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).map((a) => a.text).join(', ');

const executive = (id: string, name: string) =>
  ev(Events.StaffCreated, { id, name, email: `${id}@vendor.test`, roles: ['executive'], active: true, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });

/**
 * The relay refuses the digest's first three mails (451): outbound retries them with backoff, from
 * either instance, and each executive gets the digest once, PDF attached; a restarted instance mails
 * nobody again. The deliveries name the stored PDF instead of holding it, and publish no `…sent|failed`
 * event (the notices report is not fed by the digest).
 */
describe('the monthly digest mail, refused by the relay', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let smtp: SmtpSink;
  const instances: ServiceChild[] = [];
  const mongoUrl = testMongoUrl('reporting_digest_retry');
  const month = lastMonth();
  const subject = `SLA Desk executive digest ${month}`;
  const env = (name: string) => ({
    NATS_URL: nats.url,
    MONGO_URL: mongoUrl,
    SLADESK_INSTANCE_ID: name,
    SLADESK_DIGEST_CRON: '* * * * * *',
    SLADESK_SMTP_URL: smtp.url,
    SLADESK_MAIL_FROM: 'sla-desk@vendor.test',
    SLADESK_OUTBOUND_RETRY_MS: '300',
    SLADESK_OUTBOUND_TICK_MS: '200',
  });

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    smtp = await startSmtpSink();
    await publishAll(bus, [executive('erin', 'Erin Exec'), executive('ed', 'Ed Exec')]);
    const projector = spawnService('reporting', { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_DIGEST_ENABLED: 'false' });
    await projector.ready;
    await waitFor(() => projected(bus), 'events projected', 30_000, 100);
    await projector.kill();
    smtp.failNext(3);
    for (const name of ['one', 'two']) instances.push(spawnService('reporting', env(name)));
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

  it('is retried until the relay takes it, and each executive gets it once with the PDF', async () => {
    await Promise.all(['erin@vendor.test', 'ed@vendor.test'].map((to) => smtp.waitFor((m) => m.subject === subject && recipients(m).includes(to), 45_000)));
    const digest = (await waitFor(
      () => bus.request(Rpc.DigestList, { month }).then(([d]) => (d?.state === 'mailed' ? d : null)),
      'the digest recorded as mailed',
      15_000,
      100,
    ))!;
    expect(digest.recipients).toEqual(['ed', 'erin']);

    const deliveries = await db.collection('outbound_deliveries').find({ noticeId: `digest:${month}` }).toArray();
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      expect(d).toMatchObject({ source: 'reporting', topic: 'report.digest', channel: 'email', state: 'sent' });
      // The PDF is referenced, not copied into the delivery.
      expect(d.attachments).toEqual([{ filename: `sladesk-executive-digest-${month}.pdf`, contentType: 'application/pdf', ref: `export:${digest.exportId}` }]);
      expect(JSON.stringify(d).length).toBeLessThan(4_000);
    }
    // Three refusals spread over the two deliveries: five attempts in all, the refusal recorded.
    expect(deliveries.reduce((n, d) => n + (d.attempts as number), 0)).toBe(5);
    expect(deliveries.some((d) => /451/.test(String(d.lastError)))).toBe(true);

    // A restart mails nobody again: the fresh instance sees the digest made.
    await Promise.all(instances.splice(0).map((i) => i.kill()));
    const again = spawnService('reporting', env('three'));
    instances.push(again);
    await again.ready;
    await waitFor(() => again.output().includes(`digest ${month}: already made by`), 'the restarted instance to see the digest done', 15_000, 100);
    await new Promise((r) => setTimeout(r, 1_500));

    const mails = smtp.messages.filter((m) => m.subject === subject);
    expect(mails.map(recipients).sort()).toEqual(['"Ed Exec" <ed@vendor.test>', '"Erin Exec" <erin@vendor.test>']);
    for (const m of mails) expect(m.attachments.find((a) => a.contentType === 'application/pdf')?.content.subarray(0, 5).toString()).toBe('%PDF-');
    // No outcome event: the digest is not a notice (the notices report reads `…sent|failed` subjects).
    for (const subj of [Events.DeliverySent, Events.DeliveryFailed]) {
      const last = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: subj }).catch(() => null);
      expect(last).toBeNull();
    }
  });
});
