import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import { composeTextMail, TextMail } from './mime';

/** What nodemailer's own composer writes for the same mail (the path every other mail takes). */
async function byNodemailer(m: TextMail): Promise<Buffer> {
  const t = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await t.sendMail({
    from: m.from,
    to: m.toName ? { name: m.toName, address: m.to } : m.to,
    subject: m.subject,
    text: m.text,
    messageId: m.messageId,
    headers: Object.fromEntries(m.headers),
    date: m.date,
  });
  return info.message as Buffer;
}

async function parsed(raw: Buffer) {
  const p = await simpleParser(raw);
  return {
    from: p.from?.value,
    to: (Array.isArray(p.to) ? p.to : [p.to]).flatMap((a) => a?.value ?? []),
    subject: p.subject,
    // nodemailer writes a mostly non-Latin text in base64, without the final line break a quoted-printable body ends with.
    text: p.text?.replace(/\n$/, ''),
    messageId: p.messageId,
    date: p.date?.toISOString(),
    unsubscribe: p.headers.get('list-unsubscribe-post'),
    delivery: p.headers.get('x-sladesk-delivery-id'),
    contentType: p.headers.get('content-type'),
  };
}

const base: TextMail = {
  from: 'notices@vendor.example',
  to: 'ada@acme.example',
  toName: 'Ada Lovelace',
  subject: 'Scheduled maintenance: Database upgrade — Tue, Mar 11, 2031, 02:00 EDT',
  text: 'Scheduled maintenance\n\nWhen: Mar 11, 2031, 2:00 AM (America/New_York)\nDatabase upgrade\n\n--\nYou receive this as a notification contact of Acme. Stop non-security notices: http://127.0.0.1:3000/v1/notice-opt-out?token=' + 'abc.def='.repeat(20),
  messageId: '<dlv_0123456789abcdef@vendor.example>',
  headers: [
    ['List-Unsubscribe', `<http://127.0.0.1:3000/v1/notice-opt-out?token=${'x'.repeat(120)}>`],
    ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
    ['X-Sladesk-Delivery-Id', 'dlv_0123456789abcdef'],
    ['X-Sladesk-Notice-Id', 'ntc:mw_1:scheduled:v1'],
  ],
  date: new Date('2031-03-01T10:00:00Z'),
};

describe(composeTextMail.name, () => {
  it.each([
    ['a fan-out notice', base],
    ['a name with specials and non-ASCII, a long non-ASCII subject, trailing spaces, tabs, CRLF and a lone "."', {
      ...base,
      toName: 'Müller, "Jürgen" (Ops)',
      subject: 'Wartung: Datenbank-Aktualisierung — Dienstag, 11. März 2031, 07:00 MEZ — bitte beachten Sie die Hinweise zur Ausfallzeit',
      text: 'Grüße  \r\n\tEingerückt\n.\n..zwei Punkte\n' + 'é'.repeat(120) + '\n= gleich =\nEnde ',
    }],
    ['a text that ends with a line break', { ...base, text: 'One line\nand another\n' }],
    ['no name, a security notice without opt-out headers', { ...base, toName: undefined, headers: [['X-Sladesk-Delivery-Id', 'dlv_1'], ['X-Sladesk-Notice-Id', 'ntc:adv_1:announced']] as [string, string][] }],
  ])('%s: what a reader gets is what nodemailer composes', async (_name, mail) => {
    const ours = composeTextMail(mail);
    expect(ours).not.toBeNull();
    expect(await parsed(ours!)).toEqual(await parsed(await byNodemailer(mail)));
    // Folded at 76, no line longer than RFC 5322's 998.
    expect(ours!.toString('latin1').split('\r\n').every((l) => l.length <= 998)).toBe(true);
  });

  it('leaves what it does not write to nodemailer: an empty text, non-ASCII or quoted addresses, structured or non-printable headers, a malformed Message-ID', () => {
    expect(composeTextMail({ ...base, to: 'jürgen@example.de' })).toBeNull();
    expect(composeTextMail({ ...base, to: 'ops@bücher.example' })).toBeNull();
    expect(composeTextMail({ ...base, to: '"a b"@example.com' })).toBeNull();
    expect(composeTextMail({ ...base, to: 'ada@ACME.example' })).toBeNull();
    expect(composeTextMail({ ...base, headers: [['X-Note', 'Grüße']] })).toBeNull();
    expect(composeTextMail({ ...base, headers: [['X-Note', 'a\r\nBcc: x@y']] })).toBeNull();
    expect(composeTextMail({ ...base, headers: [['Subject', 'again']] })).toBeNull();
    expect(composeTextMail({ ...base, headers: [['In-Reply-To', '<a@b>'], ['References', '<a@b>']] })).toBeNull();
    expect(composeTextMail({ ...base, messageId: 'no-brackets@x' })).toBeNull();
    expect(composeTextMail({ ...base, text: '' })).toBeNull();
  });
});
