import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import { Attachment } from '../cases/case.schema';

/** HTML from a customer becomes plain text: no markup, scripts, images or tracking links survive. */
export const plainText = (html: string): string =>
  convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
    ],
  }).trim();

/** The longest description or reply we keep; the rest is cut with a marker. */
export const TEXT_LIMIT = 50_000;
export const clip = (text: string, max = TEXT_LIMIT): string =>
  text.length <= max ? text : `${text.slice(0, max)}\n[… cut at ${max} characters]`;

export const firstLine = (text: string, max = 200): string =>
  (text.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, max);

export const attachmentMeta = (a: {
  filename?: string;
  contentType?: string;
  size?: number;
  content?: Buffer;
}): Attachment => ({
  filename: a.filename || 'unnamed',
  contentType: a.contentType || 'application/octet-stream',
  size: a.size ?? a.content?.length ?? 0,
  sha256: createHash('sha256')
    .update(a.content ?? Buffer.alloc(0))
    .digest('hex'),
});
