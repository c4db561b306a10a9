import { Rpc } from '@sladesk/contracts';
import { bootstrapService, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { freePort, SmtpSink, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { connect, Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import { IntakeModule } from '../src/app.module';
import { IntakeEnv } from '../src/config';

const MAX_BYTES = 64 * 1024;

/** A raw client that connects and reads the greeting line, then holds the connection open. */
async function hold(port: number): Promise<{ socket: Socket; greeting: string }> {
  const socket = connect(port, '127.0.0.1');
  const greeting = await new Promise<string>((resolve, reject) => {
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) resolve(data.split('\r\n')[0]);
    });
    socket.once('error', reject);
  });
  return { socket, greeting };
}

/**
 * The intake SMTP listener over a real connection, with nodemailer's SMTP transport as the customer's
 * mail server: an oversize mail is refused with 552 and nothing is stored, too many recipients get 452,
 * a client over its connection cap is greeted with 421, one over its rate with 450; and after all that a
 * normal mail still becomes a case.
 */
describe('the SMTP listener refuses oversize mail, crowds and floods, and still takes a normal mail', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceProcess;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let relay: SmtpSink;
  let port: number;
  const transport = (over: object = {}) => createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...over });
  const mail = (n: string, over: object = {}) => ({
    from: 'Ada <ada@acme.test>',
    to: 'support@vendor.test',
    subject: `Question ${n}`,
    text: 'The login page spins forever.',
    messageId: `<${n}@acme.test>`,
    ...over,
  });

  beforeAll(async () => {
    nats = await startTestNats();
    relay = await startSmtpSink();
    port = await freePort();
    const mongoUrl = testMongoUrl('intake_smtp_limits');
    intake = await bootstrapService({
      service: 'intake',
      config: loadConfig(
        IntakeEnv,
        {
          NATS_URL: nats.url,
          MONGO_URL: mongoUrl,
          LOG_LEVEL: 'silent',
          SLADESK_SMTP_PORT: String(port),
          SLADESK_SUPPORT_ADDRESSES: 'support@vendor.test,billing@vendor.test,sales@vendor.test',
          SLADESK_SMTP_RELAY_URL: relay.url,
          SLADESK_SMTP_MAX_BYTES: String(MAX_BYTES),
          SLADESK_SMTP_MAX_RECIPIENTS: '2',
          SLADESK_SMTP_MAX_CONNECTIONS_PER_IP: '3',
          SLADESK_SMTP_RATE_PER_IP: '6',
          SLADESK_SMTP_RATE_WINDOW_MS: '4000',
          SLADESK_SMTP_IDLE_TIMEOUT_MS: '1500',
          SLADESK_SMTP_SESSION_TIMEOUT_MS: '3000',
        },
        {},
      ),
      module: (runtime, config) => IntakeModule.forRoot(runtime, config),
      handleSignals: false,
    });
    bus = await NatsBus.connect(nats.url, 'test');
    db = await mongoose.createConnection(mongoUrl).asPromise();
    await bus.request(Rpc.StaffCreate, { id: 'carla', name: 'Carla', email: 'carla@vendor.test', roles: ['csm'] });
    await bus.request(Rpc.AccountCreate, { id: 'acme', name: 'Acme', timeZone: 'UTC', csmId: 'carla', emailDomains: ['acme.test'] });
  });

  afterAll(async () => {
    await intake?.stop();
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await relay?.stop();
    await nats?.cleanup();
  });

  const stored = async (messageId: string) =>
    (await db.collection('cases').countDocuments({ emailMessageIds: messageId })) + (await db.collection('review_items').countDocuments({ emailMessageIds: messageId }));

  it('refuses an oversize mail with 552 and stores nothing', async () => {
    const t = transport();
    // The SIZE extension is advertised: a client declaring the size is refused at MAIL FROM …
    const declared = await t.sendMail(mail('big-declared', { text: 'x'.repeat(MAX_BYTES + 1024) })).catch((e) => e);
    expect(declared.responseCode).toBe(552);
    // … and one that does not declare it is refused after DATA.
    const raw = `From: ada@acme.test\r\nTo: support@vendor.test\r\nSubject: Big\r\nMessage-ID: <big-raw@acme.test>\r\n\r\n${'y'.repeat(76) + '\r\n'}`.padEnd(MAX_BYTES * 2, 'z'.repeat(76) + '\r\n');
    const undeclared = await new Promise<{ code: number; lines: string[] }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const lines: string[] = [];
      const script = ['EHLO client.test', 'MAIL FROM:<ada@acme.test>', 'RCPT TO:<support@vendor.test>', 'DATA'];
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString();
        let i: number;
        while ((i = buffer.indexOf('\r\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          lines.push(line);
          if (/^\d{3} /.test(line)) {
            const code = Number(line.slice(0, 3));
            const next = script.shift();
            if (next) socket.write(`${next}\r\n`);
            else if (code === 354) socket.write(`${raw}\r\n.\r\n`);
            else {
              socket.end('QUIT\r\n');
              resolve({ code, lines });
            }
          }
        }
      });
      socket.once('error', reject);
    });
    expect(undeclared.code).toBe(552);
    t.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await stored('<big-declared@acme.test>')).toBe(0);
    expect(await stored('<big-raw@acme.test>')).toBe(0);
  });

  it('accepts at most SLADESK_SMTP_MAX_RECIPIENTS recipients per mail (452 for the rest)', async () => {
    const t = transport();
    const info = await t.sendMail(mail('many-recipients', { to: ['support@vendor.test', 'billing@vendor.test', 'sales@vendor.test'] }));
    expect(info.accepted).toEqual(['support@vendor.test', 'billing@vendor.test']);
    expect(info.rejected).toEqual(['sales@vendor.test']);
    expect(String(info.rejectedErrors?.[0]?.responseCode)).toBe('452');
    t.close();
    await waitFor(() => stored('<many-recipients@acme.test>'), 'the mail recorded for the accepted recipients');
  });

  it('greets a client over its connection cap with 421 and closes', async () => {
    await new Promise((r) => setTimeout(r, 300)); // the earlier clients' connections are gone
    const held = await Promise.all([hold(port), hold(port), hold(port)]);
    expect(held.map((h) => h.greeting.slice(0, 3))).toEqual(['220', '220', '220']);
    expect(held[0].greeting).not.toMatch(/smtp-server|nodemailer|node/i); // the greeting names no software
    const refused = await transport().sendMail(mail('over-cap')).catch((e) => e);
    expect(refused.responseCode).toBe(421);
    expect(await stored('<over-cap@acme.test>')).toBe(0);
    for (const h of held) h.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
  });

  it('answers 450 to a client over its rate, until the window ends', async () => {
    // Mails started so far in this window count too; send until refused.
    const t = transport({ pool: false });
    let refused: (Error & { responseCode?: number }) | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      refused = await t.sendMail(mail(`flood-${i}`)).then(
        () => undefined,
        (e) => e,
      );
    }
    expect(refused?.responseCode).toBe(450);
    t.close();
  });

  it('closes a silent connection after the idle timeout, and a busy one after the session timeout (421)', async () => {
    const closed = (socket: Socket) =>
      new Promise<{ last: string; ms: number }>((resolve) => {
        const t0 = Date.now();
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.once('close', () => resolve({ last: data.trim().split('\r\n').pop() ?? '', ms: Date.now() - t0 }));
      });
    const silent = await hold(port);
    const idle = await closed(silent.socket);
    expect(idle.last).toMatch(/^421 /);
    expect(idle.ms).toBeGreaterThan(1_000);
    const busy = await hold(port);
    const noop = setInterval(() => busy.socket.write('NOOP\r\n'), 400);
    const session = await closed(busy.socket);
    clearInterval(noop);
    expect(session.last).toMatch(/^421 Session too long/);
    expect(session.ms).toBeGreaterThan(2_000);
  });

  it('after all that, a normal mail becomes a case', async () => {
    await new Promise((r) => setTimeout(r, 1_000)); // the rate window (4 s) has ended by now
    const t = transport();
    const info = await t.sendMail(mail('normal'));
    expect(info.accepted).toEqual(['support@vendor.test']);
    t.close();
    const c = await waitFor(() => db.collection('cases').findOne({ emailMessageIds: '<normal@acme.test>' }), 'a case for the normal mail');
    expect(c).toMatchObject({ accountId: 'acme', channel: 'email', subject: 'Question normal' });
  });
});
