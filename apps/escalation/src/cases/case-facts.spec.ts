import { after, CaseFact, emptyCase, isDone, mayRequestOwner, mergeFact, orderOf, ownerOf } from './case-facts';
import { loadSet, repeatSet, setsOf } from './case-projection.service';

const t = (iso: string) => Date.parse(iso);
const at = (iso: string, id: string) => orderOf(t(iso), id);

const opened: CaseFact = { kind: 'opened', id: 'e-open', accountId: 'acme', number: 7, channel: 'api', severity: 'normal', category: 'how-to', receivedAt: t('2026-01-05T09:00:00Z') };
const assigned = (who: string | null, iso: string, id = `e-assign-${who}`): CaseFact => ({ kind: 'assigned', id, accountId: 'acme', order: at(iso, id), assigneeId: who });
const status = (to: 'open' | 'waiting_on_customer' | 'resolved' | 'closed', iso: string, id = `e-${to}-${iso}`): CaseFact => ({ kind: 'status', id, accountId: 'acme', order: at(iso, id), status: to });
const reclassified = (category: 'technical' | 'billing', iso: string, id = `e-reclass-${category}`): CaseFact => ({
  kind: 'reclassified',
  id,
  accountId: 'acme',
  order: at(iso, id),
  severity: 'high',
  category,
});
const reopened = (n: number, iso: string, id = `e-reopen-${n}`): CaseFact => ({ kind: 'reopened', id, accountId: 'acme', order: at(iso, id), at: t(iso), reopenCount: n });

const fold = (facts: CaseFact[]) => facts.reduce(mergeFact, emptyCase());

function* permutations<T>(xs: T[]): Generator<T[]> {
  if (xs.length <= 1) return yield xs;
  for (let i = 0; i < xs.length; i++) for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) yield [xs[i], ...rest];
}

describe('case facts merged in any order', () => {
  const history: CaseFact[] = [
    opened,
    { kind: 'escalated', id: 'esc-new:level', accountId: 'acme', order: after(orderOf(0, 'e-open'), 'new'), level: 'tier1', requestedAssigneeId: 'csm-ann' },
    assigned('csm-ann', '2026-01-05T09:00:02Z'),
    reclassified('technical', '2026-01-05T10:00:00Z'),
    assigned('t2-tia', '2026-01-05T10:00:05Z'),
    status('resolved', '2026-01-06T12:00:00Z'),
    reopened(1, '2026-01-07T08:00:00Z'),
    status('waiting_on_customer', '2026-01-07T09:00:00Z'),
  ];

  it('reaches the same case from all 40,320 arrival orders of one history', () => {
    const expected = fold(history);
    expect(expected).toMatchObject({
      accountId: 'acme',
      opened: { number: 7, channel: 'api', receivedAt: t('2026-01-05T09:00:00Z') },
      category: 'technical',
      severity: 'high',
      status: 'waiting_on_customer',
      assigneeId: 't2-tia',
      reopenCount: 1,
      level: 'tier1',
      unresolvedSince: t('2026-01-07T08:00:00Z'),
    });
    let orders = 0;
    for (const order of permutations(history)) {
      expect(fold(order)).toEqual(expected);
      orders += 1;
    }
    expect(orders).toBe(40_320);
  });

  it('changes nothing when a fact is applied twice', () => {
    const once = fold(history);
    expect(fold([...history, ...history.slice().reverse()])).toEqual(once);
  });

  it('keeps a resolution heard of before the opening: the case is done', () => {
    const s = fold([status('resolved', '2026-01-05T11:00:00Z'), opened]);
    expect(s.status).toBe('resolved');
    expect(isDone(s)).toBe(true);
    expect(s.opened).toBeDefined();
  });

  it('keeps an assignment heard of before the opening, and a Tier 1 request made later does not override it', () => {
    const s = fold([assigned('carla', '2026-01-05T09:30:00Z'), opened]);
    expect(s.assigneeId).toBe('carla');
    const tier1 = after(orderOf(0, 'e-open'), 'new');
    expect(mayRequestOwner(s, tier1)).toBe(false);
    const withRequest = mergeFact(s, { kind: 'escalated', id: 'x:level', order: tier1, level: 'tier1', requestedAssigneeId: 'csm-ann' });
    expect(ownerOf(withRequest)).toBe('carla');
  });

  it("counts escalation's request as the owner until intake records an assignment after it", () => {
    const request: CaseFact = { kind: 'escalated', id: 'esc-t2:level', order: at('2026-01-05T10:00:00Z', 'esc-t2'), level: 'tier2', requestedAssigneeId: 't2-tom' };
    const s = fold([opened, assigned('csm-ann', '2026-01-05T09:00:01Z'), request]);
    expect(ownerOf(s)).toBe('t2-tom');
    expect(ownerOf(mergeFact(s, assigned('t2-tom', '2026-01-05T10:00:01Z')))).toBe('t2-tom');
    expect(ownerOf(mergeFact(s, assigned(null, '2026-01-05T11:00:00Z')))).toBeUndefined();
    expect(s.level).toBe('tier2');
  });

  it('lets a later reclassification win over the opening, and an earlier one lose to a later one', () => {
    expect(fold([reclassified('billing', '2026-01-05T12:00:00Z'), opened]).category).toBe('billing');
    expect(fold([reclassified('billing', '2026-01-05T12:00:00Z'), reclassified('technical', '2026-01-05T11:00:00Z')]).category).toBe('billing');
  });

  it("keeps the SLA policy of the latest SLA event, whichever arrives first", () => {
    const sla = (policyVersion: number, iso: string): CaseFact => ({ kind: 'sla', id: `sla-${policyVersion}`, accountId: 'acme', order: at(iso, `sla-${policyVersion}`), policyId: 'acme', policyVersion });
    const facts = [opened, sla(1, '2026-01-05T09:00:01Z'), sla(2, '2026-01-06T09:00:00Z')];
    for (const order of permutations(facts)) expect(fold(order).slaPolicy).toEqual({ id: 'acme', version: 2 });
  });

  it('keeps the highest reopen count and level whatever arrives last', () => {
    const s = fold([reopened(2, '2026-01-09T00:00:00Z'), reopened(1, '2026-01-08T00:00:00Z')]);
    expect(s.reopenCount).toBe(2);
    expect(s.unresolvedSince).toBe(t('2026-01-09T00:00:00Z'));
    const up = fold([
      { kind: 'escalated', id: 'a', order: at('2026-01-05T10:00:00Z', 'a'), level: 'executive' },
      { kind: 'escalated', id: 'b', order: at('2026-01-05T11:00:00Z', 'b'), level: 'tier2' },
    ]);
    expect(up.level).toBe('executive');
  });
});

describe(setsOf.name, () => {
  it("puts an open case in its owner's load and in its account's category-day set", () => {
    const s = fold([opened, assigned('t2-tia', '2026-01-05T10:00:00Z')]);
    expect(setsOf(s)).toEqual(
      new Map([
        [loadSet('t2-tia'), 1],
        [repeatSet('acme', 'how-to', t('2026-01-05T09:00:00Z')), t('2026-01-05T09:00:00Z')],
      ]),
    );
    expect(repeatSet('acme', 'how-to', t('2026-01-05T23:59:59Z'))).toBe('repeat:acme:how-to:2026-01-05');
  });

  it('takes a resolved case out of the load but keeps it counted in its category', () => {
    const s = fold([opened, assigned('t2-tia', '2026-01-05T10:00:00Z'), status('resolved', '2026-01-05T11:00:00Z')]);
    expect([...setsOf(s).keys()]).toEqual([repeatSet('acme', 'how-to', opened.kind === 'opened' ? opened.receivedAt : 0)]);
  });

  it("keeps no load for an owner whose load is not counted (not a Tier 2 member)", () => {
    const s = fold([opened, assigned('csm-carla', '2026-01-05T10:00:00Z')]);
    expect([...setsOf(s, (id) => id.startsWith('t2-')).keys()]).toEqual([repeatSet('acme', 'how-to', t('2026-01-05T09:00:00Z'))]);
  });

  it('counts nothing in a category before the opening is known', () => {
    expect(setsOf(fold([assigned('t2-tia', '2026-01-05T10:00:00Z')]))).toEqual(new Map([[loadSet('t2-tia'), 1]]));
  });
});

describe('an assignment that carries out an escalation stands where that escalation does', () => {
  const opening = orderOf(0, 'e-open');
  const tier1 = after(opening, 'new');
  const tier2 = after(opening, 'technical');
  const requested = (level: 'tier1' | 'tier2', who: string, order: string): CaseFact => ({ kind: 'escalated', id: `esc-${level}:level`, accountId: 'acme', order, level, requestedAssigneeId: who });
  // Intake carried out Tier 1's request (the CSM) a moment after the case opened.
  const csmAssigned = (order: string): CaseFact => ({ kind: 'assigned', id: 'e-assign-csm', accountId: 'acme', order, assigneeId: 'csm-ann' });

  it('lets the Tier 2 request decided next still ask for its member, once it is ordered by its cause', () => {
    const heard = fold([opened, requested('tier1', 'csm-ann', tier1), csmAssigned(tier1)]);
    expect(mayRequestOwner(heard, tier2)).toBe(true);
    const after2 = mergeFact(heard, requested('tier2', 't2-tia', tier2));
    expect(ownerOf(after2)).toBe('t2-tia');
    // Intake then records the Tier 2 member (its assignment ordered by the Tier 2 escalation): in either order, Tier 2 owns it.
    const t2Assigned: CaseFact = { kind: 'assigned', id: 'e-assign-t2', accountId: 'acme', order: tier2, assigneeId: 't2-tia' };
    for (const order of permutations([opened, requested('tier1', 'csm-ann', tier1), csmAssigned(tier1), requested('tier2', 't2-tia', tier2), t2Assigned])) {
      expect(fold(order)).toMatchObject({ assigneeId: 't2-tia' });
    }
  });

  it('(ordered by when intake recorded it, the CSM assignment would shut Tier 2 out)', () => {
    const heard = fold([opened, requested('tier1', 'csm-ann', tier1), csmAssigned(at('2026-01-05T09:00:02Z', 'e-assign-csm'))]);
    expect(mayRequestOwner(heard, tier2)).toBe(false);
  });
});
