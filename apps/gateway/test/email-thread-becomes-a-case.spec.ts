import { createTransport, Transporter } from 'nodemailer';
import { waitFor } from '@sladesk/testing';
import { jsonOf, seedAcme, Stack, startStack } from './stack';

describe('mail to the support address becomes a case, and replies thread into it (real SMTP both ways)', () => {
  let stack: Stack;
  let customer: Transporter;
  const send = (mail: object) => customer.sendMail({ to: 'support@vendor.test', ...mail });
  const caseByMessageId = (messageId: string) =>
    waitFor(() => stack.db.collection('cases').findOne({ emailMessageIds: messageId }), `a case for ${messageId}`);

  beforeAll(async () => {
    stack = await startStack('email');
    await seedAcme(stack);
    customer = createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    customer?.close();
    await stack?.stop();
  });

  it('opens a case from a known sender, keeps HTML as plain text and attachment metadata, and mails a receipt', async () => {
    const info = await send({
      from: '"Bob Builder" <bob@acme.test>',
      subject: 'Invoice 2026-11 looks wrong',
      html: '<div><p>Hello,</p><p>the <b>invoice</b> charges us twice.</p><img src="http://tracker.example/p.gif"><script>steal()</script></div>',
      messageId: '<first-mail@acme.test>',
      attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }],
    });
    expect(info.response).toMatch(/^250 .*Recorded in case #\d+/);
    const stored = await caseByMessageId('<first-mail@acme.test>');
    const c = await jsonOf(await stack.http(`/v1/cases/${stored!._id}`));
    expect(c).toMatchObject({
      accountId: 'acme',
      channel: 'email',
      contact: { name: 'Bob Builder', email: 'bob@acme.test' },
      subject: 'Invoice 2026-11 looks wrong',
      category: 'billing',
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 13, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }],
    });
    expect(c.description).toBe('Hello,\n\nthe invoice charges us twice.');
    expect(c.timeline.map((e: { kind: string }) => e.kind)).toEqual(['opened', 'acknowledged']);

    const receipt = await stack.relay.waitFor((m) => m.subject === `[Case #${c.number}] Invoice 2026-11 looks wrong`);
    expect(receipt.to).toMatchObject({ text: 'bob@acme.test' });
    expect(receipt.inReplyTo).toBe('<first-mail@acme.test>');
  });

  it('threads a reply to our receipt into its case (In-Reply-To), and records a Message-ID only once', async () => {
    await send({ from: 'ada@acme.test', subject: 'Export is broken', text: 'The CSV export fails.', messageId: '<thread-1@acme.test>' });
    const opened = await caseByMessageId('<thread-1@acme.test>');
    const receipt = await stack.relay.waitFor((m) => m.subject === `[Case #${opened!.number}] Export is broken`);

    const reply = {
      from: 'ada@acme.test',
      subject: `Re: ${receipt.subject}`,
      text: 'It also fails for PDF.',
      messageId: '<thread-2@acme.test>',
      inReplyTo: receipt.messageId,
      references: [receipt.messageId],
    };
    await send(reply);
    await send(reply); // the customer's server retried
    const c = await waitFor(async () => {
      const r = await jsonOf(await stack.http(`/v1/cases/${opened!._id}`));
      return r.timeline.some((e: { kind: string }) => e.kind === 'customer_reply') && r;
    }, 'the reply in the timeline');
    expect(c.timeline.filter((e: { kind: string }) => e.kind === 'customer_reply')).toEqual([
      expect.objectContaining({ text: 'It also fails for PDF.', actor: { kind: 'contact', name: 'ada' }, data: { channel: 'email', email: 'ada@acme.test' } }),
    ]);
    expect(await stack.db.collection('cases').countDocuments({ emailMessageIds: '<thread-2@acme.test>' })).toBe(1);
  });

  it('threads by the case number in the subject when the headers were lost, and mails our response back', async () => {
    await send({ from: 'ada@acme.test', subject: 'Slow reports', text: 'Reports take minutes.', messageId: '<num-1@acme.test>' });
    const opened = await caseByMessageId('<num-1@acme.test>');
    await send({ from: 'carl@acme.test', subject: `Fwd: [Case #${opened!.number}] Slow reports`, text: 'Same for me.', messageId: '<num-2@acme.test>' });
    await waitFor(async () => (await stack.db.collection('cases').findOne({ _id: opened!._id }))!.timeline.length === 3, 'the forwarded mail threaded');

    const res = await stack.http(`/v1/cases/${opened!._id}/responses`, { json: { by: 't2-tom', text: 'We found a slow query and are fixing it.' } });
    expect(res.status).toBe(201);
    const mail = await stack.relay.waitFor((m) => m.subject === `Re: [Case #${opened!.number}] Slow reports`);
    expect(mail.text?.trim()).toBe('We found a slow query and are fixing it.');
    expect(mail.references).toEqual(expect.arrayContaining(['<num-1@acme.test>']));
  });

  it('keeps mail from an unknown sender in the review queue, once', async () => {
    const mail = { from: 'stranger@elsewhere.test', subject: 'Who do I talk to?', text: 'Hi', messageId: '<stranger-1@elsewhere.test>' };
    expect((await send(mail)).response).toMatch(/Recorded for review/);
    await send(mail);
    const queue = await jsonOf(await stack.http('/v1/channels/review-queue?channel=email&status=pending'));
    expect(queue.items).toEqual([
      expect.objectContaining({ channel: 'email', reason: 'no account knows stranger@elsewhere.test', subject: 'Who do I talk to?', text: 'Hi' }),
    ]);
    expect(await stack.db.collection('cases').countDocuments({ 'contact.email': 'stranger@elsewhere.test' })).toBe(0);
    const dismissed = await jsonOf(await stack.http(`/v1/channels/review-queue/${queue.items[0].id}/dismiss`, { method: 'POST' }));
    expect(dismissed.status).toBe('dismissed');
  });

  it('refuses mail for other addresses at RCPT time', async () => {
    await expect(customer.sendMail({ from: 'ada@acme.test', to: 'sales@vendor.test', subject: 'x', text: 'x' })).rejects.toThrow(/550/);
  });
});
