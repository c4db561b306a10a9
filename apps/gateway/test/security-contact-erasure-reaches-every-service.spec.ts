import { Events, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { Call, caller, json } from './security-kit';

/**
 * Issue #14, "Personal data", with every service running as a process over real NATS and FerretDB:
 * after Ada is erased, her name and address are in no document of any collection, in no export made
 * afterwards (and the export made before is gone), in no service's log; Bob is untouched; every chain
 * verifies.
 */
const KEY = 'test-admin-key-0123456789';
const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@acme.test' };
const BOB = { name: 'Bob Babbage', email: 'bob.babbage@acme.test' };
const ADA_TEXT = 'my analytical engine serial is AE-1843';
const ADA_STRINGS = [ADA.name, ADA.email, 'Lovelace', ADA_TEXT];
const MONTH = new Date().toISOString().slice(0, 7);

describe('erasing a contact reaches every service: no collection, export or log line names her, every chain verifies', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let db: mongoose.Connection;
  let http: Call;
  const services: Record<string, ServiceChild> = {};
  const adaCases: string[] = [];
  let bobCase: string;
  let exportBefore: string;
  let noticesBefore: string;
  let bus: NatsBus;
  const mongoUrl = testMongoUrl('security_erasure_all');

  const exportCsv = async (report: string): Promise<{ id: string; body: string }> => {
    const res = await http('/v1/exports', { json: { report, format: 'csv', month: MONTH, accountId: 'acme' } });
    expect(res.status).toBe(202);
    const { id } = await json(res);
    await waitFor(async () => (await json(await http(`/v1/exports/${id}`))).state === 'done', `export ${report} done`, 30_000);
    return { id, body: await (await http(`/v1/exports/${id}/download`)).text() };
  };

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    const port = await freePort();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_OUTBOX_SWEEP_MS: '500' };
    services.intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(await freePort()), SLADESK_SMTP_RELAY_URL: smtp.url, SLADESK_PERSONAL_DATA_COMMITMENTS: 'true' });
    services.sla = spawnService('sla', env);
    services.escalation = spawnService('escalation', { ...env, SLADESK_SMTP_URL: smtp.url, SLADESK_ESCALATION_TICK_MS: '200' });
    services.maintenance = spawnService('maintenance', {
      ...env,
      SLADESK_SMTP_URL: smtp.url,
      SLADESK_MAINTENANCE_TICK_MS: '100',
      SLADESK_OUTBOUND_TICK_MS: '200',
      SLADESK_NOTICE_LINK_SECRET: 'notice-link-secret-for-tests',
      SLADESK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    services.reporting = spawnService('reporting', { ...env, SLADESK_SMTP_URL: smtp.url, SLADESK_DIGEST_ENABLED: 'false', SLADESK_EXPORT_SWEEP_MS: '200' });
    services.gateway = spawnService('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: KEY, SLADESK_RATE_LIMIT_PER_KEY: '0', SLADESK_RATE_LIMIT_PER_IP: '0' });
    await Promise.all(Object.values(services).map((s) => s.ready));
    db = await mongoose.createConnection(mongoUrl).asPromise();
    bus = await NatsBus.connect(nats.url, 'test');
    http = caller(`http://127.0.0.1:${port}`, KEY);

    for (const [id, name, roles] of [['carla', 'Carla', ['csm']], ['tom', 'Tom', ['tier2']]] as const) {
      expect((await http('/v1/staff', { json: { id, name, email: `${id}@vendor.test`, roles } })).status).toBe(201);
    }
    expect((await http('/v1/accounts', { json: { id: 'acme', name: 'Acme', timeZone: 'UTC', csmId: 'carla', contacts: [ADA, BOB] } })).status).toBe(201);
    await waitFor(async () => (await json(await http('/v1/accounts/acme/notice-preferences'))).contacts?.length === 2, 'maintenance knows the contacts');

    const open = async (contact: { name: string; email: string }, subject: string, text: string) => {
      const res = await http('/v1/cases', { json: { accountId: 'acme', contact, channel: 'api', subject, description: `${contact.name} writes: ${text}`, severity: 'critical' } });
      const body = await json(res);
      if (res.status !== 201) throw new Error(`opening a case: ${res.status} ${JSON.stringify(body)}`);
      return body.id as string;
    };
    for (const subject of ['Ada cannot log in', 'Ada wants an invoice']) {
      const id = await open(ADA, subject, ADA_TEXT);
      expect((await http(`/v1/cases/${id}/responses`, { json: { by: 'carla', text: 'Hello Ada, we are on it.' } })).status).toBe(201);
      expect((await http(`/v1/cases/${id}/customer-replies`, { json: { text: `Thanks, Carla. ${ADA_TEXT}` } })).status).toBe(201);
      expect((await http(`/v1/cases/${id}/actions`, { json: { by: 'carla', kind: 'analysis', text: 'Ada Lovelace has a locked session.' } })).status).toBe(201);
      adaCases.push(id);
    }
    expect((await http(`/v1/cases/${adaCases[0]}/resolve`, { json: { by: 'carla', summary: 'Unlocked the session of Ada Lovelace.' } })).status).toBe(200);
    bobCase = await open(BOB, 'Bob needs help', 'a question about the difference engine');
    // Staff's own words about her, in escalation: a manual escalation quoting her name.
    expect((await http('/v1/escalations', { json: { caseId: adaCases[1], reason: 'Ada Lovelace threatens to churn' } })).status).toBe(201);

    // Escalation notifies (critical: at once), intake records it in her timeline, reporting projects it all.
    await waitFor(() => smtp.messages.some((m) => m.text?.includes('threatens to churn')), 'the manual escalation mailed', 30_000);
    await waitFor(async () => (await json(await http(`/v1/cases/${adaCases[1]}/timeline`))).entries.some((e: { text: string }) => e.text.includes('threatens to churn')), 'escalation in her timeline', 30_000);
    // A maintenance notice to the account's contacts, Ada among them.
    const w = await http('/v1/maintenance-windows', {
      json: { title: 'Database upgrade', components: ['database'], impact: 'degraded', plannedStart: '2031-03-11T06:00:00Z', plannedEnd: '2031-03-11T08:00:00Z', reminderOffsets: [] },
    });
    expect(w.status).toBe(201);
    for (const c of [ADA, BOB]) await waitFor(() => smtp.messages.some((m) => (m.to as { text?: string } | undefined)?.text?.includes(c.email)), `notice to ${c.name}`);
    await waitFor(async () => {
      const r = await json(await http(`/v1/reports/support-record?month=${MONTH}&accountId=acme&format=json`));
      const text = JSON.stringify(r);
      return [ADA.email, BOB.email, ADA_TEXT, 'threatens to churn'].every((s) => text.includes(s));
    }, 'reporting projected the cases');
    await waitFor(async () => JSON.stringify(await json(await http(`/v1/reports/notices?month=${MONTH}&format=json`))).includes(ADA.email), 'reporting projected the notice to Ada');
    const before = await exportCsv('support-record');
    expect(before.body).toContain(ADA.email);
    expect(before.body).toContain(ADA_TEXT);
    exportBefore = before.id;
    const notices = await exportCsv('notices');
    expect(notices.body).toContain(ADA.email);
    noticesBefore = notices.id;
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.kill()));
    await bus?.close();
    await db?.dropDatabase().catch(() => undefined);
    await db?.close();
    await smtp?.stop();
    await nats?.cleanup();
  });

  /** Every document of every collection, as text, labelled by collection; binary data (export chunks) read as UTF-8. */
  const everything = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const { name } of await db.db!.listCollections().toArray()) {
      out[name] = JSON.stringify(await db.collection(name).find({}).toArray(), function (this: Record<string, unknown>, key, value) {
        const raw = this[key] as { _bsontype?: string; buffer?: Uint8Array } | undefined;
        return raw?._bsontype === 'Binary' ? Buffer.from(raw.buffer!).toString('utf8') : value;
      });
    }
    return out;
  };
  const found = (all: Record<string, string>, s: string) => Object.entries(all).filter(([, text]) => text.includes(s)).map(([name]) => name);

  it('erases Ada in intake, escalation, maintenance and reporting, and keeps Bob', async () => {
    const before = await everything();
    // Where she was: every service's copies, the exports' files included.
    // Maintenance's notices are packed (outbound_packs); escalation's notifications are delivery documents.
    expect(found(before, ADA.email)).toEqual(expect.arrayContaining(['cases', 'accounts', 'maintenance_accounts', 'outbound_packs', 'rm_cases', 'rm_case_entries', 'rm_notices', 'report_export_chunks']));
    expect(found(before, 'Lovelace')).toEqual(expect.arrayContaining(['escalations', 'outbound_deliveries', 'outbound_packs', 'rm_escalations', 'rm_cases', 'rm_case_entries']));

    const res = await http('/v1/contacts/erasures', { json: { email: ADA.email, note: 'ticket 4711' } });
    expect(res.status).toBe(201);
    const erasure = await json(res);
    expect(erasure.caseIds.sort()).toEqual([...adaCases].sort());
    expect(erasure.retained).toEqual([]);

    // Each service records that it applied the erasure (its record names no one).
    for (const col of ['rm_erasures', 'esc_erasures', 'maintenance_erasures']) {
      await waitFor(async () => !!(await db.collection(col).findOne({ _id: erasure.id })), `${col} has the erasure`, 30_000);
    }
    // Events still pending in outboxes carry texts: they leave once published.
    await waitFor(async () => {
      for (const { name } of await db.db!.listCollections().toArray()) {
        if ((await db.collection(name).countDocuments({ 'outbox.0': { $exists: true } })) > 0) return false;
      }
      return (await db.collection('outbound_outcomes').countDocuments({})) === 0;
    }, 'outboxes drained', 30_000);

    const after = await everything();
    for (const s of ADA_STRINGS) expect({ s, collections: found(after, s) }).toEqual({ s, collections: [] });
    // Bob is where he was (notices know a recipient by address only).
    expect(found(after, BOB.name)).toEqual(expect.arrayContaining(['cases', 'accounts', 'maintenance_accounts', 'outbound_packs', 'rm_cases']));
    expect(found(after, BOB.email)).toEqual(expect.arrayContaining(['cases', 'accounts', 'maintenance_accounts', 'outbound_packs', 'rm_cases', 'rm_notices']));
    // … except in the files of the exports that printed Ada too: those are deleted (see the next test).
    expect(found(after, BOB.email)).toEqual(found(before, BOB.email).filter((c) => c !== 'report_export_chunks'));
    // Her notice delivery is kept as the record of what was sent, under her pseudonym.
    const packs = await db.collection('outbound_packs').find({}).toArray();
    const hers = packs.flatMap((p) => p.items).filter((i: { toName?: string }) => i.toName?.startsWith('erased-contact-'));
    expect(hers).toEqual([expect.objectContaining({ text: '[erased]', erased: true, to: expect.stringMatching(/@erased\.invalid$/) })]);
    expect(found(after, 'erased-contact-')).toEqual(expect.arrayContaining(['cases', 'rm_cases', 'outbound_packs', 'rm_notices']));
    expect((await json(await http('/v1/accounts/acme/notice-preferences'))).contacts.map((c: { email: string }) => c.email)).toEqual([BOB.email]);
    expect((await json(await http(`/v1/cases/${bobCase}`))).contact).toEqual(BOB);
  });

  it('removes the exports made before and makes new ones without her', async () => {
    for (const id of [exportBefore, noticesBefore]) {
      const x = await json(await http(`/v1/exports/${id}`));
      expect(x).toMatchObject({ state: 'failed', error: expect.stringMatching(/erased/) });
      expect((await http(`/v1/exports/${id}/download`)).status).toBeGreaterThanOrEqual(400);
    }
    const record = await exportCsv('support-record');
    const notices = await exportCsv('notices');
    const live = await (await http(`/v1/reports/support-record?month=${MONTH}&accountId=acme&format=csv`)).text();
    for (const file of [record.body, notices.body, live]) {
      for (const s of ADA_STRINGS) expect({ s, found: file.includes(s) }).toEqual({ s, found: false });
    }
    expect(record.body).toContain(BOB.email);
    expect(record.body).toContain('erased-contact-');
    expect(notices.body).toContain(BOB.email);
  });

  it('leaves every chain verifiable, and no service ever logged her name, address or words', async () => {
    const lines = (await (await http('/v1/audit/verify')).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ type: 'done', checked: 3, intact: 3, broken: 0 });
    for (const id of [...adaCases, bobCase]) expect((await json(await http(`/v1/cases/${id}/timeline?verify=true`))).verification).toMatchObject({ intact: true });
    for (const [name, s] of Object.entries(services)) {
      for (const text of ADA_STRINGS) expect({ name, text, logged: s.output().includes(text) }).toEqual({ name, text, logged: false });
    }
  });

  it('applies a redelivered contact.erased once: every service finds its record and changes nothing', async () => {
    const stored = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.ContactErased });
    const erasureId = (stored!.json() as { payload: { erasureId: string } }).payload.erasureId;
    const records = async () =>
      Promise.all(['rm_erasures', 'esc_erasures', 'maintenance_erasures'].map((c) => db.collection(c).findOne({ _id: erasureId as never })));
    const first = await records();
    // The same envelope under another message id, so JetStream does not drop it as a duplicate.
    await bus.js.publish(Events.ContactErased, stored!.data, { msgID: `redelivery-${erasureId}` });
    for (const service of ['reporting', 'escalation', 'maintenance']) {
      const durable = consumerName(service, service === 'reporting' ? 'sladesk.evt.>' : Events.ContactErased);
      await waitFor(async () => {
        const info = await bus.jsm.consumers.info(Streams.Events.name, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, `${durable} caught up`);
    }
    expect(await records()).toEqual(first);
    expect(first.every((r) => (r as { appliedEventIds: string[] } | null)?.appliedEventIds.length === 1)).toBe(true);
    const after = await everything();
    for (const s of ADA_STRINGS) expect({ s, collections: found(after, s) }).toEqual({ s, collections: [] });
  });
});
