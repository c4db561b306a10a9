import { AppError, httpStatusOf } from '@sladesk/contracts';
import { RawConnection } from './raw-http';
import { jsonOf, KEY, seedAcme, Stack, startStack } from './stack';

/** Every refusal names one of our codes, with the status that code prescribes. */
function expectOurCode(status: number, body: { code?: unknown }, code: string) {
  expect(body.code).toBe(code);
  expect(AppError.isCode(body.code)).toBe(true);
  expect(status).toBe(httpStatusOf(code as never));
}

describe('every error carries one of our stable codes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('stable_codes');
    await seedAcme(stack);
  });
  afterAll(() => stack?.stop());

  it('answers a 300-character path id like any other invalid id: 400 VALIDATION.FAILED', async () => {
    const long = 'a'.repeat(300);
    for (const path of [`/v1/cases/${long}`, `/v1/accounts/${long}`, `/v1/cases/${long}/timeline`]) {
      const res = await stack.http(path);
      const body = await jsonOf(res);
      expectOurCode(res.status, body, 'VALIDATION.FAILED');
      expect(body.details).toEqual([{ path: 'path', problems: [expect.stringContaining('100 characters')] }]);
    }
    // …as a 65-character one is, which the router lets through to intake's validation.
    const res = await stack.http(`/v1/cases/${'a'.repeat(65)}`);
    expectOurCode(res.status, await jsonOf(res), 'VALIDATION.FAILED');
  });

  it('answers a path that is not valid percent-encoding with 400 REQUEST.MALFORMED', async () => {
    const res = await stack.http('/v1/cases/%E0%A4%A');
    expectOurCode(res.status, await jsonOf(res), 'REQUEST.MALFORMED');
  });

  it('answers what Node refuses before routing (bad HTTP, oversized headers) in the same shape', async () => {
    const bad = await RawConnection.open(stack.gateway.url);
    bad.write('GET /v1/cases HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n');
    const malformed = await bad.response();
    expectOurCode(malformed.status, JSON.parse(malformed.body), 'REQUEST.MALFORMED');
    await bad.closed;

    const big = await RawConnection.open(stack.gateway.url);
    big.write(`GET /v1/cases HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEY}\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`);
    const tooLarge = await big.response();
    expect(tooLarge.headers['content-type']).toContain('application/json');
    expectOurCode(tooLarge.status, JSON.parse(tooLarge.body), 'REQUEST.HEADERS_TOO_LARGE');
    await big.closed;
  });

  it('refuses a cursor it did not hand out on every intake list, and follows the ones it did', async () => {
    for (const id of ['acme2', 'acme3']) {
      const res = await stack.http('/v1/accounts', { json: { id, name: id, timeZone: 'UTC' } });
      expect(res.status).toBe(201);
    }
    const caseRes = await stack.http('/v1/cases', {
      json: { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Export fails', description: 'CSV export answers 500.' },
    });
    const caseId = (await jsonOf(caseRes)).id;
    const lists = ['/v1/cases?', '/v1/accounts?', '/v1/staff?', '/v1/channels/review-queue?', `/v1/cases/${caseId}/timeline?`];
    for (const list of lists) {
      for (const cursor of ['garbage', 'YWNtZQ==', Buffer.from('a|b').toString('base64url')]) {
        const res = await stack.http(`${list}cursor=${encodeURIComponent(cursor)}`);
        expectOurCode(res.status, await jsonOf(res), 'PAGINATION.BAD_CURSOR');
      }
    }
    // Paging by the cursors it returns reads every account once.
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await jsonOf(await stack.http(`/v1/accounts?limit=1${next ? `&cursor=${next}` : ''}`));
      seen.push(...page.items.map((a: { id: string }) => a.id));
      next = page.nextCursor;
    } while (next);
    expect(seen).toEqual(['acme', 'acme2', 'acme3']);
  });
});
