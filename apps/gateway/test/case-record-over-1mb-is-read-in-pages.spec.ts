import { jsonOf, seedAcme, Stack, startStack } from './stack';

/**
 * A case whose record passes 1 MB (NATS carries 1 MiB per message) is stored, answered and read back
 * whole, page by page, and no service goes down on the way. Its document stays bounded.
 */
describe('a case record over 1 MB', () => {
  let stack: Stack;
  const alive = () =>
    [stack.intake, stack.escalation!, stack.sla!].every((s) => s.child.exitCode === null && s.child.signalCode === null);

  beforeAll(async () => {
    stack = await startStack('bigrecord', { escalation: true, sla: true, bodyLimit: 1_000_000 });
    await seedAcme(stack);
  }, 120_000);
  afterAll(() => stack?.stop());

  it('is read back in pages with every service still up', async () => {
    // 90,000 characters of 3-byte UTF-8 and 20 steps of 49,000 characters of 2-byte UTF-8: ~2.2 MB of text.
    const description = '€'.repeat(89_990) + ' the end.';
    const created = await stack.http('/v1/cases', {
      json: { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Huge', description, severity: 'normal' },
    });
    expect(created.status).toBe(201);
    const { id } = await jsonOf(created);
    const steps = Array.from({ length: 20 }, (_, i) => `step ${i} `.padEnd(49_000, 'é'));
    for (const text of steps) {
      const res = await stack.http(`/v1/cases/${id}/actions`, { json: { by: 'csm-carla', kind: 'step', text } });
      expect(res.status).toBe(201);
    }

    const record = await stack.http(`/v1/cases/${id}`);
    expect(record.status).toBe(200);
    const body = await jsonOf(record);
    expect(body.description).toBe(description);
    expect(body.timelineTotal).toBeGreaterThanOrEqual(21);
    expect(body.timeline.length).toBeLessThan(body.timelineTotal);
    expect(typeof body.timelineCursor).toBe('string');
    // The latest entries come last, in order.
    const seqs = body.timeline.map((e: { seq: number }) => e.seq);
    expect(seqs[seqs.length - 1]).toBe(body.timelineTotal);

    const entries: { seq: number; kind: string; text: string }[] = [];
    let cursor: string | undefined = body.timelineCursor;
    let pages = 0;
    while (cursor) {
      const res = await stack.http(`/v1/cases/${id}/timeline?cursor=${cursor}`);
      expect(res.status).toBe(200);
      const page = await jsonOf(res);
      entries.push(...page.entries);
      cursor = page.nextCursor;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: body.timelineTotal }, (_, i) => i + 1));
    expect(entries[0].text).toBe(description);
    expect(entries.filter((e) => e.kind === 'step').map((e) => e.text)).toEqual(steps);

    const verified = await jsonOf(await stack.http(`/v1/cases/${id}/timeline?verify=true&limit=1`));
    expect(verified.verification).toMatchObject({ intact: true, entries: body.timelineTotal });

    // The case document holds only its newest entries; the rest are in buckets.
    const doc = await stack.db.collection('cases').findOne({ _id: id } as never);
    expect(doc!.timeline.length).toBeLessThanOrEqual(32);
    expect(Buffer.byteLength(JSON.stringify(doc))).toBeLessThan(800_000);

    expect(alive()).toBe(true);
    const next = await stack.http('/v1/cases', {
      json: { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Still here?', description: 'yes' },
    });
    expect(next.status).toBe(201);
  }, 120_000);

  it('refuses a cursor it did not hand out', async () => {
    const created = await jsonOf(
      await stack.http('/v1/cases', { json: { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'x', description: 'y' } }),
    );
    const res = await stack.http(`/v1/cases/${created.id}/timeline?cursor=bm9wZQ`);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).code).toBe('PAGINATION.BAD_CURSOR');
  });
});
