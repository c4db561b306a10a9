import { TimelineEntry } from '../case.schema';
import { GENESIS_HASH, seal, UnsealedEntry } from './timeline';
import { entryBytes, TAIL_MAX_BYTES, TAIL_MAX_ENTRIES, TimelineStore } from './timeline.store';

const entry = (text: string): UnsealedEntry => ({
  kind: 'note',
  at: new Date('2026-11-20T10:00:00.000Z'),
  recordedAt: new Date('2026-11-20T10:00:01.000Z'),
  actor: { kind: 'staff', id: 'st1', name: 'Sam' },
  text,
});
const chain = (texts: string[], after = { seq: 0, hash: GENESIS_HASH }): TimelineEntry[] => seal('c1', after, texts.map(entry));
const head = (t: TimelineEntry[]) => ({ seq: t[t.length - 1].seq, hash: t[t.length - 1].hash });

describe(TimelineStore.name, () => {
  // overflow() is pure: the repositories are not touched.
  const sut = new TimelineStore(undefined as never, undefined as never);

  it('keeps a short tail as it is', () => {
    const tail = chain(['a', 'b', 'c']);
    expect(sut.overflow(tail, chain(['d'], head(tail)))).toBe(0);
  });

  it('moves out the oldest entries once the tail would hold more than its entry bound', () => {
    const tail = chain(Array.from({ length: TAIL_MAX_ENTRIES }, (_, i) => `e${i}`));
    expect(sut.overflow(tail, chain(['new', 'newer'], head(tail)))).toBe(2);
  });

  it('moves out as many old entries as the byte bound needs, never the incoming ones', () => {
    const big = 'é'.repeat(40_000); // ~80 KB each
    const tail = chain([big, big, big]);
    const incoming = chain([big], head(tail));
    const k = sut.overflow(tail, incoming);
    const kept = [...tail.slice(k), ...incoming].reduce((n, e) => n + entryBytes(e), 0);
    expect(k).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(TAIL_MAX_BYTES);
    // Even an incoming change larger than the bound is accepted: the whole old tail leaves, nothing more.
    const huge = chain(['x'.repeat(TAIL_MAX_BYTES)], head(tail));
    expect(sut.overflow(tail, huge)).toBe(tail.length);
  });
});
