import { erasedEntry, GENESIS_HASH, holdsPersonalData, seal, UnsealedEntry, verifyChain } from './timeline';

const opened: UnsealedEntry = {
  kind: 'opened',
  at: new Date('2026-11-20T10:00:00.000Z'),
  recordedAt: new Date('2026-11-20T10:00:01.000Z'),
  actor: { kind: 'contact', name: 'Ada Lovelace' },
  text: 'The engine stalls.',
  data: { subject: 'Engine', contactEmail: 'ada@acme.test', channel: 'api' },
};
const reply: UnsealedEntry = { ...opened, kind: 'response', actor: { kind: 'staff', id: 'carla', name: 'Carla' }, text: 'Hello Ada.', data: { channel: 'api' } };

describe('hash version 2: personal data committed to, erasable without breaking the chain', () => {
  it('hashes commitments instead of the values, so an erased chain still verifies', () => {
    const chain = seal('c1', { seq: 0, hash: GENESIS_HASH }, [opened, reply], true);
    expect(chain[0].pd).toMatchObject({ salt: expect.stringMatching(/^[0-9a-f]{32}$/), c: { text: expect.any(String), 'actor/name': expect.any(String), 'data/contactEmail': expect.any(String), 'data/subject': expect.any(String) } });
    expect(chain[1].pd?.c).not.toHaveProperty('actor/name'); // staff names are not what erasure is about
    expect(verifyChain('c1', chain)).toMatchObject({ intact: true });

    const erased = chain.map((e) => erasedEntry(e, 'erased-contact-1')!);
    expect(JSON.stringify(erased)).not.toMatch(/Ada|ada@acme|stalls|Engine/);
    expect(erased.map((e) => e.hash)).toEqual(chain.map((e) => e.hash));
    expect(verifyChain('c1', erased)).toEqual(verifyChain('c1', chain));
    expect(erased[0].data).toMatchObject({ channel: 'api', contactEmail: '[erased]' });
  });

  it('detects a changed value, a changed commitment, and a version downgrade', () => {
    const values = seal('c1', { seq: 0, hash: GENESIS_HASH }, [opened], true);
    values[0].text = 'The engine runs.';
    expect(verifyChain('c1', values).brokenAt).toEqual({ seq: 1, reason: 'personal data does not match its commitment' });
    const commitment = seal('c1', { seq: 0, hash: GENESIS_HASH }, [opened], true).map((e) => erasedEntry(e, 'x')!);
    commitment[0].pd!.c.text = '0'.repeat(64);
    expect(verifyChain('c1', commitment).brokenAt).toEqual({ seq: 1, reason: 'content does not match its hash' });
    const downgraded = seal('c1', { seq: 0, hash: GENESIS_HASH }, [opened], true);
    delete downgraded[0].pd;
    expect(verifyChain('c1', downgraded).brokenAt).toEqual({ seq: 1, reason: 'content does not match its hash' });
  });

  it('leaves version-1 entries as they are (their values are inside the hash) and says they hold personal data', () => {
    const v1 = seal('c1', { seq: 0, hash: GENESIS_HASH }, [opened]);
    expect(erasedEntry(v1[0], 'x')).toBeNull();
    expect(holdsPersonalData(v1[0])).toBe(true);
    expect(verifyChain('c1', v1)).toMatchObject({ intact: true });
  });
});
