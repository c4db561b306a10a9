import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import { SmtpPool } from './smtp-pool';

/** A local SMTP server that keeps what it received and counts the sessions open at once. */
async function sink(options: Partial<SMTPServerOptions> & { refuse?: (to: string) => number | undefined; dropOn?: (raw: string) => boolean } = {}) {
  const received: { to: string[]; raw: string }[] = [];
  let open = 0;
  let maxOpen = 0;
  let sessions = 0;
  const { refuse, dropOn, ...serverOptions } = options;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...serverOptions,
    onConnect(_s, cb) {
      sessions++;
      maxOpen = Math.max(maxOpen, ++open);
      cb();
    },
    onClose() {
      open--;
    },
    onRcptTo(address, _s, cb) {
      const code = refuse?.(address.address);
      if (!code) return cb();
      return cb(Object.assign(new Error(`refused ${address.address}`), { responseCode: code }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (dropOn?.(raw)) {
          // the session's socket, as smtp-server keeps it: dropped with no answer to the message
          const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
          for (const c of connections) if (c.id === session.id) c._socket.destroy();
          return;
        }
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    get open() {
      return open;
    },
    get maxOpen() {
      return maxOpen;
    },
    get sessions() {
      return sessions;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const mail = (n: number, body = `Line one of message ${n}.\r\n`) =>
  Buffer.from(`From: a@vendor.example\r\nTo: u${n}@acme.example\r\nSubject: Notice ${n}\r\nMessage-ID: <${n}@vendor.example>\r\n\r\n${body}`);

const until = async (check: () => boolean, what: string) => {
  for (const end = Date.now() + 5_000; !check(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('SmtpPool', () => {
  it('sends many messages over at most `max` sessions, kept open between messages, each message intact', async () => {
    const s = await sink();
    const pool = new SmtpPool(s.url, 3);
    try {
      // a line that starts with a dot must arrive as it was sent (the SMTP client stuffs and the server unstuffs it)
      await Promise.all(Array.from({ length: 60 }, (_, n) => pool.send({ from: 'a@vendor.example', to: [`u${n}@acme.example`] }, mail(n, `.hidden?\r\nLine ${n}\r\n`))));
      expect(s.received).toHaveLength(60);
      expect(new Set(s.received.map((r) => r.to[0])).size).toBe(60);
      for (const r of s.received) expect(r.raw).toMatch(/\r\n\r\n\.hidden\?\r\nLine \d+\r\n$/);
      expect(s.maxOpen).toBeLessThanOrEqual(3);
      expect(s.sessions).toBe(3); // reused, not one per message
    } finally {
      pool.close();
      await s.close();
    }
  });

  it('logs in with the credentials of the URL', async () => {
    const logins: string[] = [];
    const s = await sink({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        logins.push(`${auth.username}:${auth.password}`);
        if (auth.username === 'relay' && auth.password === 's3cret') return cb(null, { user: 'relay' });
        return cb(new Error('bad credentials'));
      },
    });
    const good = new SmtpPool(`smtp://relay:s3cret@127.0.0.1:${s.port}`, 2);
    const bad = new SmtpPool(`smtp://relay:wrong@127.0.0.1:${s.port}`, 2);
    try {
      await good.send({ from: 'a@vendor.example', to: ['u1@acme.example'] }, mail(1));
      await expect(bad.send({ from: 'a@vendor.example', to: ['u2@acme.example'] }, mail(2))).rejects.toMatchObject({ code: 'EAUTH' });
      expect(s.received.map((r) => r.to[0])).toEqual(['u1@acme.example']);
      expect(logins).toEqual(['relay:s3cret', 'relay:wrong']);
    } finally {
      good.close();
      bad.close();
      await s.close();
    }
  });

  it('passes a refusal on with its response code, and the next message goes out on a fresh session', async () => {
    const s = await sink({ refuse: (to) => (to.startsWith('gone') ? 550 : to.startsWith('later') ? 451 : undefined) });
    const pool = new SmtpPool(s.url, 1);
    try {
      await expect(pool.send({ from: 'a@vendor.example', to: ['gone@acme.example'] }, mail(1))).rejects.toMatchObject({ responseCode: 550 });
      await expect(pool.send({ from: 'a@vendor.example', to: ['later@acme.example'] }, mail(2))).rejects.toMatchObject({ responseCode: 451 });
      await pool.send({ from: 'a@vendor.example', to: ['ok@acme.example'] }, mail(3));
      expect(s.received.map((r) => r.to[0])).toEqual(['ok@acme.example']);
      expect(s.sessions).toBe(3);
    } finally {
      pool.close();
      await s.close();
    }
  });

  it('fails a message whose session the server drops, and carries on with the others', async () => {
    const s = await sink({ dropOn: (raw) => raw.includes('Notice 7') });
    const pool = new SmtpPool(s.url, 2);
    try {
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => pool.send({ from: 'a@vendor.example', to: [`u${n}@acme.example`] }, mail(n))));
      const failed = results.flatMap((r, n) => (r.status === 'rejected' ? [n] : []));
      // only the dropped session's message fails; every other one arrives once
      expect(failed).toEqual([7]);
      expect(s.received.map((r) => r.to[0]).sort()).toEqual(Array.from({ length: 12 }, (_, n) => `u${n}@acme.example`).filter((a) => a !== 'u7@acme.example').sort());
      await pool.send({ from: 'a@vendor.example', to: ['after@acme.example'] }, mail(99));
      expect(s.received.at(-1)!.to).toEqual(['after@acme.example']);
    } finally {
      pool.close();
      await s.close();
    }
  });

  it('closes a session left idle, and opens one again when a message comes', async () => {
    const s = await sink();
    const pool = new SmtpPool(s.url, 2, 200);
    try {
      await pool.send({ from: 'a@vendor.example', to: ['u1@acme.example'] }, mail(1));
      expect(s.open).toBe(1);
      await until(() => s.open === 0, 'the idle session to close');
      await pool.send({ from: 'a@vendor.example', to: ['u2@acme.example'] }, mail(2));
      expect(s.received).toHaveLength(2);
      expect(s.sessions).toBe(2);
    } finally {
      pool.close();
      await s.close();
    }
  });

  it('answers a connection refused as an error, and after close refuses to send', async () => {
    const s = await sink();
    const port = s.port;
    await s.close();
    const pool = new SmtpPool(`smtp://127.0.0.1:${port}`, 2);
    await expect(pool.send({ from: 'a@vendor.example', to: ['u@acme.example'] }, mail(1))).rejects.toMatchObject({ code: 'ESOCKET' });
    pool.close();
    await expect(pool.send({ from: 'a@vendor.example', to: ['u@acme.example'] }, mail(2))).rejects.toThrow('the SMTP pool is closed');
  });

  it('a send waiting for a session fails when the pool closes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await sink({ onMailFrom: (_a, _s, cb) => void gate.then(() => cb()) });
    const pool = new SmtpPool(s.url, 1);
    try {
      const first = pool.send({ from: 'a@vendor.example', to: ['u1@acme.example'] }, mail(1));
      await until(() => s.open === 1, 'the first session');
      const second = pool.send({ from: 'a@vendor.example', to: ['u2@acme.example'] }, mail(2));
      pool.close();
      await expect(second).rejects.toThrow('the SMTP pool is closed');
      release();
      await first.catch(() => undefined);
    } finally {
      release();
      await s.close();
    }
  });
});
