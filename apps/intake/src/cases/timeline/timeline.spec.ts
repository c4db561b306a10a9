import { TimelineEntry } from '../case.schema';
import { GENESIS_HASH, canonicalJson, seal, UnsealedEntry, verifyChain } from './timeline';

const entry = (text: string, over: Partial<UnsealedEntry> = {}): UnsealedEntry => ({
  kind: 'note',
  at: new Date('2026-11-20T10:00:00.000Z'),
  recordedAt: new Date('2026-11-20T10:00:01.000Z'),
  actor: { kind: 'staff', id: 'st1', name: 'Sam' },
  text,
  ...over,
});

describe(verifyChain.name, () => {
  const chain = (): TimelineEntry[] =>
    seal('c1', { seq: 0, hash: GENESIS_HASH }, [entry('a'), entry('b'), entry('c')]);

  it('accepts an untouched chain and reports its head', () => {
    const sut = chain();
    expect(verifyChain('c1', sut)).toEqual({ intact: true, entries: 3, headHash: sut[2].hash });
  });

  it('names the entry whose content was edited', () => {
    const sut = chain();
    sut[1].text = 'rewritten';
    expect(verifyChain('c1', sut)).toMatchObject({
      intact: false,
      brokenAt: { seq: 2, reason: 'content does not match its hash' },
    });
  });

  it('names the next entry when an edit also recomputed the edited hash', () => {
    const sut = chain();
    const forged = seal('c1', { seq: 1, hash: sut[0].hash }, [entry('rewritten')])[0];
    sut[1] = forged;
    expect(verifyChain('c1', sut)).toMatchObject({
      intact: false,
      brokenAt: { seq: 3, reason: 'prevHash does not match the previous entry' },
    });
  });

  it('detects a removed entry and an entry moved to another case', () => {
    const sut = chain();
    expect(verifyChain('c1', [sut[0], sut[2]])).toMatchObject({ intact: false, brokenAt: { seq: 3 } });
    expect(verifyChain('c2', chain())).toMatchObject({ intact: false, brokenAt: { seq: 1 } });
  });

  it('hashes absent, null and empty optional values alike (storage must not break the chain)', () => {
    const [withNothing] = seal('c1', { seq: 0, hash: GENESIS_HASH }, [entry('x')]);
    const stored = { ...withNothing, attachments: [], data: undefined, actor: { ...withNothing.actor } };
    expect(verifyChain('c1', [stored]).intact).toBe(true);
  });
});

describe(canonicalJson.name, () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined, x: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"x":null,"z":1}]},"b":1}',
    );
  });
});
