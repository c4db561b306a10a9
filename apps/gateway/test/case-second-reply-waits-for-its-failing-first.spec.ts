import { createTransport, Transporter } from 'nodemailer';
import { waitFor } from '@sladesk/testing';
import { jsonOf, seedAcme, Stack, startStack } from './stack';

/**
 * Issue #11: intake's messages to customers go through `@sladesk/outbound`, one case's head at a time.
 * A response whose mail is refused (451) is retried by outbound while the case's next response waits
 * in the case document — it is not even handed to outbound — and goes out only after the first, threaded
 * after it. Both outcomes are recorded once in `case_deliveries`.
 */
describe("a case's second reply waits for its failing first (intake on @sladesk/outbound)", () => {
  let stack: Stack;
  let customer: Transporter;

  beforeAll(async () => {
    stack = await startStack('reply_order');
    await seedAcme(stack);
    customer = createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    customer?.close();
    await stack?.stop();
  });

  it('holds the second response until the first, refused three times, is sent; the order and the thread are kept', async () => {
    await customer.sendMail({ to: 'support@vendor.test', from: 'ada@acme.test', subject: 'Login loops', text: 'The login page loops.', messageId: '<order-1@acme.test>' });
    const opened = await waitFor(() => stack.db.collection('cases').findOne({ emailMessageIds: '<order-1@acme.test>' }), 'the case');
    const receipt = await stack.relay.waitFor((m) => m.subject === `[Case #${opened!.number}] Login loops`);
    // Our own Message-ID and sender: a reply to it finds the case.
    expect(receipt.from?.text).toBe('support@vendor.test');
    expect((await stack.db.collection('cases').findOne({ _id: opened!._id }))!.emailMessageIds).toContain(receipt.messageId);

    stack.relay.failNext(3);
    const before = stack.relay.messages.length;
    for (const text of ['First: we are looking into it.', 'Second: it is fixed.']) {
      expect((await stack.http(`/v1/cases/${opened!._id}/responses`, { json: { by: 't2-tom', text } })).status).toBe(201);
    }
    const queued = (await stack.db.collection('cases').findOne({ _id: opened!._id }))!.deliveries as { id: string }[];
    expect(queued).toHaveLength(2);
    const [first, second] = queued.map((d) => d.id);

    // While outbound retries the first, the second is still only in the case's queue.
    const failing = await waitFor(async () => {
      const d = await stack.db.collection('outbound_deliveries').findOne({ _id: first as never });
      return d && d.state === 'pending' && d.attempts >= 2 ? d : null;
    }, 'the first response refused twice', 20_000);
    expect(failing).toMatchObject({ topic: 'intake.reply', channel: 'email', to: 'ada@acme.test', from: 'support@vendor.test' });
    expect(await stack.db.collection('outbound_deliveries').findOne({ _id: second as never })).toBeNull();
    expect(stack.relay.messages.length).toBe(before);

    const mailOf = (text: string) => stack.relay.waitFor((m) => m.text?.trim() === text, 20_000);
    const [one, two] = [await mailOf('First: we are looking into it.'), await mailOf('Second: it is fixed.')];
    const sent = stack.relay.messages.slice(before);
    expect(sent.map((m) => m.text?.trim())).toEqual(['First: we are looking into it.', 'Second: it is fixed.']);
    // Each response answers the latest message of the thread: the second one the first.
    expect(two.inReplyTo).toBe(one.messageId);
    expect(two.references).toEqual(expect.arrayContaining([receipt.messageId, one.messageId]));

    const outcomes = await waitFor(async () => {
      const rows = await stack.db.collection('case_deliveries').find({ _id: { $in: [first, second] as never[] } }).toArray();
      return rows.length === 2 ? rows : null;
    }, 'both outcomes recorded');
    const byId = Object.fromEntries(outcomes!.map((r) => [r._id, r]));
    expect(byId[first]).toMatchObject({ caseId: opened!._id, channel: 'email', outcome: 'sent', attempts: 4 });
    expect(byId[second]).toMatchObject({ caseId: opened!._id, channel: 'email', outcome: 'sent', attempts: 1 });
    await waitFor(async () => (await stack.db.collection('cases').findOne({ _id: opened!._id }))!.deliveries.length === 0, 'the queue emptied');
    const c = await jsonOf(await stack.http(`/v1/cases/${opened!._id}`));
    expect(c.timeline.filter((e: { kind: string }) => e.kind === 'response')).toHaveLength(2);
  });
});
