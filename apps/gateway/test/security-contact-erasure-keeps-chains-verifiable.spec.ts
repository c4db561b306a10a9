import { Events, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import type { Msg } from '@nats-io/nats-core';
import mongoose from 'mongoose';
import { createHash } from 'node:crypto';
import { Gateway } from '../src/gateway';
import { Call, caller, gatewayOn, json } from './security-kit';

const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@acme.test' };
const SECRET_TEXT = 'my analytical engine serial is AE-1843';

describe('erasing a contact (GDPR Art. 17): name, email and free text gone from every collection, every chain still verifies', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceChild;
  let gateway: Gateway;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let admin: Call;
  const adaCases: string[] = [];
  let bobCase: string;
  const announced: unknown[] = [];
  const mongoUrl = testMongoUrl('security_erasure');

  beforeAll(async () => {
    nats = await startTestNats();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(await freePort()), SLADESK_SMTP_RELAY_URL: 'smtp://127.0.0.1:1', SLADESK_PERSONAL_DATA_COMMITMENTS: 'true' });
    await intake.ready;
    gateway = await gatewayOn(env);
    bus = await NatsBus.connect(nats.url, 'test');
    bus.nc.subscribe(Events.ContactErased, { callback: (_e, m: Msg) => void announced.push(m.json()) });
    db = await mongoose.createConnection(mongoUrl).asPromise();
    admin = caller(gateway.url);
    expect((await admin('/v1/staff', { json: { id: 'carla', name: 'Carla', email: 'carla@vendor.test', roles: ['csm'] } })).status).toBe(201);
    expect((await admin('/v1/accounts', { json: { id: 'acme', name: 'Acme', timeZone: 'UTC', csmId: 'carla', contacts: [ADA, { name: 'Bob Babbage', email: 'bob@acme.test' }] } })).status).toBe(201);
    const open = async (contact: { name: string; email: string }, subject: string) => {
      const created = await admin('/v1/cases', { json: { accountId: 'acme', contact, channel: 'api', subject, description: `${contact.name} writes: ${contact === ADA ? SECRET_TEXT : 'a question'}`, severity: 'high' } });
      const body = await json(created);
      if (created.status !== 201) throw new Error(`opening a case: ${created.status} ${JSON.stringify(body)}`);
      return body.id as string;
    };
    for (const subject of ['Ada cannot log in', 'Ada wants an invoice']) {
      const id = await open(ADA, subject);
      expect((await admin(`/v1/cases/${id}/responses`, { json: { by: 'carla', text: 'Hello Ada, we are on it.' } })).status).toBe(201);
      expect((await admin(`/v1/cases/${id}/customer-replies`, { json: { text: `Thanks, Carla. ${SECRET_TEXT}` } })).status).toBe(201);
      expect((await admin(`/v1/cases/${id}/actions`, { json: { by: 'carla', kind: 'analysis', text: 'Ada Lovelace has a locked session.' } })).status).toBe(201);
      adaCases.push(id);
    }
    expect((await admin(`/v1/cases/${adaCases[0]}/resolve`, { json: { by: 'carla', summary: 'Unlocked the session of Ada Lovelace.' } })).status).toBe(200);
    bobCase = await open({ name: 'Bob Babbage', email: 'bob@acme.test' }, 'Bob needs help');
  });

  afterAll(async () => {
    await gateway?.stop();
    await intake?.kill();
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  /** Every document of every collection, as text. */
  const everything = async () => {
    const out: string[] = [];
    for (const { name } of await db.db!.listCollections().toArray()) out.push(name, JSON.stringify(await db.collection(name).find({}).toArray()));
    return out.join('\n');
  };

  it('erases Ada everywhere in intake, keeps Bob, announces it without her address, and every chain verifies', async () => {
    const before = await everything();
    expect(before).toContain(ADA.email);
    expect(before).toContain(SECRET_TEXT);

    const res = await admin('/v1/contacts/erasures', { json: { email: 'Ada.Lovelace@ACME.test', note: 'ticket 4711' } });
    expect(res.status).toBe(201);
    const erasure = await json(res);
    expect(erasure).toMatchObject({ reason: 'request', caseIds: expect.arrayContaining(adaCases), retained: [], emailSha256: createHash('sha256').update(ADA.email).digest('hex') });
    expect(erasure.caseIds).toHaveLength(2);
    expect(erasure.entriesErased).toBeGreaterThanOrEqual(2 * 4);
    expect(JSON.stringify(erasure)).not.toContain(ADA.email);

    // Pending events (case.timeline-appended carries texts) leave the outboxes once published.
    await waitFor(async () => (await db.collection('cases').countDocuments({ 'outbox.0': { $exists: true } })) === 0, 'outboxes drained');
    const after = await everything();
    for (const s of [ADA.email, ADA.name, 'Lovelace', SECRET_TEXT, 'Hello Ada']) expect({ s, found: after.includes(s) }).toEqual({ s, found: false });
    expect(after).toContain('Bob Babbage'); // someone else's case is untouched

    // Every chain verifies, the erased ones included; their entries say they were erased.
    const lines = (await (await admin('/v1/audit/verify')).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ type: 'done', checked: 3, intact: 3, broken: 0 });
    const timeline = await json(await admin(`/v1/cases/${adaCases[0]}/timeline?verify=true`));
    expect(timeline.verification).toMatchObject({ intact: true });
    expect(timeline.entries.every((e: { text: string; pd?: { erased?: boolean; salt?: string } }) => e.text === '' && e.pd?.erased === true && !e.pd.salt)).toBe(true);
    const record = await json(await admin(`/v1/cases/${adaCases[0]}`));
    expect(record.contact).toEqual({ name: expect.stringMatching(/^erased-contact-/), email: expect.stringMatching(/@erased\.invalid$/) });
    expect(record).toMatchObject({ subject: '[erased]', description: '' });
    // Her account entry is gone too; Bob's stays.
    expect((await json(await admin('/v1/accounts/acme'))).contacts).toEqual([{ name: 'Bob Babbage', email: 'bob@acme.test' }]);

    await waitFor(async () => announced.length === 1, 'contact.erased announced');
    expect(JSON.stringify(announced[0])).not.toContain(ADA.email);
    expect((announced[0] as { payload: unknown }).payload).toMatchObject({ erasureId: erasure.id, caseIds: expect.arrayContaining(adaCases), pseudonym: expect.stringMatching(/^erased-contact-/) });
    expect(await json(await admin(`/v1/contacts/erasures/${erasure.id}`))).toMatchObject({ id: erasure.id, caseIds: erasure.caseIds });
    // Intake never wrote her name, address or words into its log.
    for (const s of [ADA.email, 'Lovelace', SECRET_TEXT]) expect(intake.output()).not.toContain(s);
  });

  it('still detects tampering: with the personal data present, and after it was erased', async () => {
    const cases = db.collection('cases');
    await cases.updateOne({ _id: bobCase as never }, { $set: { 'timeline.0.text': 'Bob Babbage writes: nothing happened' } });
    const bob = await bus.request(Rpc.CaseTimeline, { id: bobCase, verify: true });
    expect(bob.verification).toMatchObject({ intact: false, brokenAt: { seq: 1, reason: 'personal data does not match its commitment' } });
    await cases.updateOne({ _id: adaCases[1] as never }, { $set: { 'timeline.1.kind': 'note' } });
    const ada = await bus.request(Rpc.CaseTimeline, { id: adaCases[1], verify: true });
    expect(ada.verification).toMatchObject({ intact: false, brokenAt: { seq: 2, reason: 'content does not match its hash' } });
  });

  it('erases resolved cases after the retention period', async () => {
    const id = (await json(await admin('/v1/cases', { json: { accountId: 'acme', contact: { name: 'Old Client', email: 'old@acme.test' }, channel: 'api', subject: 'Old', description: 'An old matter.', receivedAt: '2020-01-01T00:00:00Z' } }))).id;
    expect((await admin(`/v1/cases/${id}/resolve`, { json: { by: 'carla', summary: 'Done long ago for Old Client.', at: '2020-01-02T00:00:00Z' } })).status).toBe(200);
    const dry = await bus.request(Rpc.RetentionSweep, { olderThanDays: 365, dryRun: true });
    expect(dry.erased).toEqual([id]);
    expect((await bus.request(Rpc.RetentionSweep, { olderThanDays: 365 })).erased).toEqual([id]);
    expect((await bus.request(Rpc.RetentionSweep, { olderThanDays: 365 })).erased).toEqual([]);
    const after = await everything();
    expect(after).not.toContain('Old Client');
    expect((await bus.request(Rpc.CaseTimeline, { id, verify: true })).verification).toMatchObject({ intact: true });
  });
});
