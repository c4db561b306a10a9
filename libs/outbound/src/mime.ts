import { encodeWord, encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/** A plain-text mail, as `composeTextMail` takes it. */
export interface TextMail {
  from: string;
  to: string;
  toName?: string;
  subject: string;
  text: string;
  messageId: string;
  /** Extra headers, in order: `X-…` and `List-…` fields with printable ASCII values (others: null, nodemailer composes). */
  headers: [string, string][];
  date?: Date;
}

// An address we write as it is (ASCII dot-atom, lower-case domain: nothing for nodemailer to quote,
// punycode or lower-case): anything else goes through nodemailer's composer.
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const FIELD_NAME = /^[!-9;-~]+$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]+>$/;
// Control characters are what these two look for (a header value must not carry them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\r\n\x00-\x1f\x7f]+/g;

/**
 * Small caches of what many mails of one fan-out share (their subject, their sender, the lines of
 * their text in one time zone), so each is encoded once. Bounded: dropped whole when full.
 */
class Memo {
  private readonly map = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(key: string, make: (k: string) => string): string {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(key, (v = make(key)));
    }
    return v;
  }
}
const headerMemo = new Memo(256);
const lineMemo = new Memo(4096);
let dateMemo = { second: -1, value: '' };

/** An unstructured header value as nodemailer encodes it (encoded words where needed, Q encoding). */
const headerText = (value: string): string => {
  const v = value.replace(/\r?\n|\r/g, ' ');
  return CONTROL.test(v) ? encodeWord(v, 'Q', 52) : (encodeWords as (v: string, e: 'Q', max: number, all: boolean) => string)(v, 'Q', 52, true);
};

const addressName = (name: string): string => {
  const n = name.replace(CONTROLS, ' ').trim();
  if (/^[\w ]*$/.test(n)) return n;
  return PRINTABLE.test(n) ? quoteString(n) : encodeWord(n, 'Q', 52);
};

/** A line of the body, quoted-printable and soft-wrapped at 76 (nodemailer's `qp` encoder and wrap). */
const bodyLine = (line: string): string => qpWrap(qpEncode(line), 76);

function rfc2822Date(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (dateMemo.second !== second) dateMemo = { second, value: d.toUTCString().replace(/GMT/, '+0000') };
  return dateMemo.value;
}

/**
 * The whole RFC 5322 message of a plain-text mail, or null when it needs more than this composer does
 * (an empty text, a non-ASCII or unusual address, a header other than `X-…`/`List-…` or a value
 * that is not printable ASCII, a malformed Message-ID): then nodemailer composes it. It writes the
 * header fields nodemailer writes (with nodemailer's own encoders: encoded words, folding at 76) and
 * the text quoted-printable in UTF-8 (nodemailer's encoder, line by line; its soft breaks may fall
 * elsewhere than those of nodemailer's streaming encoder), so a reader gets the same mail (`mime.spec`
 * parses both composers' output and compares) — but what a fan-out's mails share is encoded once: the subject and
 * the sender per distinct value, each line of the text per distinct line (a notice's text is the same
 * in one time zone; only the footer with the opt-out link differs per recipient). nodemailer's
 * composer builds a MIME tree, its headers and an encoding stream for every message: most of the
 * sender's work in a fan-out.
 */
export function composeTextMail(m: TextMail): Buffer | null {
  if (!m.text || !PLAIN_ADDRESS.test(m.from) || !PLAIN_ADDRESS.test(m.to) || !MESSAGE_ID.test(m.messageId)) return null;
  // Only unstructured extension headers (X-…, List-…): nodemailer formats the others (In-Reply-To, References…) itself.
  for (const [k, v] of m.headers) if (!FIELD_NAME.test(k) || !/^(x|list)-/i.test(k) || !PRINTABLE.test(v)) return null;
  const head: string[] = [];
  for (const [k, v] of m.headers) head.push(foldLines(`${k}: ${v}`, 76));
  head.push(headerMemo.get(`f${m.from}`, () => `From: ${m.from}`));
  head.push(foldLines(`To: ${m.toName ? `${addressName(m.toName)} <${m.to}>` : m.to}`, 76));
  head.push(headerMemo.get(`s${m.subject}`, (k) => foldLines(`Subject: ${headerText(k.slice(1))}`, 76)));
  head.push(`Message-ID: ${m.messageId}`);
  head.push('Content-Transfer-Encoding: quoted-printable');
  head.push(`Date: ${rfc2822Date(m.date ?? new Date())}`);
  head.push('MIME-Version: 1.0');
  head.push('Content-Type: text/plain; charset=utf-8');
  const lines = m.text.split(/\r\n|\r|\n/);
  const body = lines.map((l) => (l.length > 200 ? bodyLine(l) : lineMemo.get(l, bodyLine)));
  // Ends with a line break, as nodemailer's does (a text that ends with one gets no second).
  const end = lines[lines.length - 1] === '' ? '' : '\r\n';
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body.join('\r\n')}${end}`, 'utf8');
}
