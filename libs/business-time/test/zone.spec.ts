import { zoneTable } from '../src/zone';

const { floor } = Math;
const DateUTC = Date.UTC;

function intlOffset(f: Intl.DateTimeFormat, u: number): number {
  const p = f.format(u * 1000).split(/\D+/);
  return DateUTC(+p[2]!, +p[0]! - 1, +p[1]!, +p[3]!, +p[4]!, +p[5]!) / 1000 - u;
}

// the five zones of the spec plus zones with unusual rules: midnight transitions, negative DST, 2-hour DST,
// 45-minute offsets, Ramadan suspensions, a skipped day, frequent rule changes
const ZONES = [
  'America/New_York',
  'America/Los_Angeles',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/Santiago',
  'Europe/Dublin',
  'Antarctica/Troll',
  'Pacific/Chatham',
  'Africa/Casablanca',
  'Pacific/Apia',
  'Asia/Gaza',
  'America/Sao_Paulo',
  'Asia/Tehran',
  'Africa/Cairo',
];

describe('zone offset tables', () => {
  it.each(ZONES)('%s matches Intl every 6 hours from 2000 to 2035', (zone) => {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const z = zoneTable(zone);
    const a = DateUTC(2000, 0, 1) / 1000;
    const b = DateUTC(2035, 0, 1) / 1000;
    z.ensure(a, b);
    const bad: string[] = [];
    for (let u = a; u < b && bad.length < 5; u += 6 * 3600) {
      if (z.offsetAt(u) !== intlOffset(f, u)) bad.push(new Date(u * 1000).toISOString());
    }
    // and exactly at each transition (and one second before it)
    for (const { at, offset } of z.transitions()) {
      if (at < a || at > b) continue;
      expect(intlOffset(f, at)).toBe(offset);
      expect(intlOffset(f, at - 1)).not.toBe(offset);
    }
    expect(bad).toEqual([]);
  });

  it('localToUtc: gap → transition instant, overlap → earlier instant', () => {
    const ny = zoneTable('America/New_York');
    const L = (iso: string) =>
      DateUTC(
        +iso.slice(0, 4),
        +iso.slice(5, 7) - 1,
        +iso.slice(8, 10),
        +iso.slice(11, 13),
        +iso.slice(14, 16),
      ) / 1000;
    const iso = (u: number) => new Date(u * 1000).toISOString();
    expect(iso(ny.localToUtc(L('2025-03-09T01:59')))).toBe('2025-03-09T06:59:00.000Z');
    expect(iso(ny.localToUtc(L('2025-03-09T02:00')))).toBe('2025-03-09T07:00:00.000Z');
    expect(iso(ny.localToUtc(L('2025-03-09T02:59')))).toBe('2025-03-09T07:00:00.000Z');
    expect(iso(ny.localToUtc(L('2025-03-09T03:00')))).toBe('2025-03-09T07:00:00.000Z');
    expect(iso(ny.localToUtc(L('2025-03-09T03:01')))).toBe('2025-03-09T07:01:00.000Z');
    expect(iso(ny.localToUtc(L('2025-11-02T01:30')))).toBe('2025-11-02T05:30:00.000Z');
    expect(iso(ny.localToUtc(L('2025-11-02T02:00')))).toBe('2025-11-02T07:00:00.000Z');
    expect(floor(ny.utcToLocal(DateUTC(2025, 10, 2, 6, 30) / 1000) / 60)).toBe(
      floor(L('2025-11-02T01:30') / 60),
    );
  });
});
