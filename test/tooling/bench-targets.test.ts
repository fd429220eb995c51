/**
 * bench/targets.ts: how `npm run bench` turns its rounds into the table's ratios and the README's
 * targets. Pure functions over made-up rounds (no processes): a ratio pairs the rows of each round,
 * the CPU targets are judged in µs and scaled to the raw proxy, and the report counts both ways.
 */
import { describe, expect, it } from 'vitest';
import { cell, median, ratio, ROWS, type Sample, tableTargets, targetsReport } from '../../bench/targets';

const sample = (rps: number, cpu: number): Sample => ({ rps, cpu, p50: 1, p99: 2, non2xx: 0 });
const rows = (entries: Record<string, Array<[rps: number, cpu: number]>>) =>
  new Map(Object.entries(entries).map(([name, xs]) => [name, xs.map(([rps, cpu]) => sample(rps, cpu))]));

describe('bench ratios', () => {
  it('takes the median of each round’s own ratio, not the ratio of the two medians', () => {
    // Round by round the stale row does half, two thirds, then three times the one-cookie row;
    // their medians are equal (20 and 20), which would say 1.00.
    const rounds = rows({
      [ROWS.stale]: [
        [10, 1],
        [20, 1],
        [30, 1],
      ],
      [ROWS.oneCookie]: [
        [20, 1],
        [30, 1],
        [10, 1],
      ],
    });
    expect(cell(rounds, ROWS.stale, 'rps') / cell(rounds, ROWS.oneCookie, 'rps')).toBe(1);
    expect(ratio(rounds, ROWS.stale, ROWS.oneCookie, 'rps')).toBeCloseTo(2 / 3, 10);
  });

  it('is NaN for a row the run did not have, and the median of an even count is the mean of the middle two', () => {
    const rounds = rows({ [ROWS.oneCookie]: [[1, 1]] });
    expect(ratio(rounds, ROWS.stale, ROWS.oneCookie, 'rps')).toBeNaN();
    expect(cell(rounds, ROWS.hono, 'cpu')).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('bench targets', () => {
  it('judges each CPU target in µs and scaled to the raw proxy of the same rounds', () => {
    const three = (rps: number, cpu: number): Array<[number, number]> => [
      [rps, cpu],
      [rps, cpu],
      [rps, cpu],
    ];
    // A fast machine: session 110 µs is met as written, but it is 2.2 × a 50 µs raw proxy (over
    // 120/59 = 2.03 ×: not met scaled).
    const fast = new Map(tableTargets(rows({ [ROWS.raw]: three(1000, 50), [ROWS.oneCookie]: three(600, 110) }), 5000).map((t) => [t.target, t]));
    expect(fast.get('session cookie CPU ≤ 120 µs/request')).toEqual({
      target: 'session cookie CPU ≤ 120 µs/request',
      value: "110 µs (2.20 × the raw proxy's 50 µs)",
      met: true,
      kind: 'absolute',
    });
    expect(fast.get("session cookie CPU ≤ 2.03 × the raw proxy (120 µs at the issue's 59)")).toMatchObject({
      met: false,
      kind: 'scaled',
      value: '2.20 × (130 µs at 59)',
    });
    expect(fast.get('session req/s ≥ 0.5 × raw undici')).toMatchObject({ met: true, value: '0.60 ×' });
    // A slow one: /public 105 µs misses as written, but it is 1.5 × a 70 µs raw proxy (under
    // 100/59 = 1.69 ×: met scaled).
    const slow = new Map(tableTargets(rows({ [ROWS.raw]: three(1000, 70), [ROWS.public]: three(800, 105) }), 5000).map((t) => [t.target, t]));
    expect(slow.get('/public CPU ≤ 100 µs/request')).toMatchObject({ met: false, kind: 'absolute' });
    expect(slow.get("/public CPU ≤ 1.69 × the raw proxy (100 µs at the issue's 59)")).toMatchObject({
      met: true,
      kind: 'scaled',
      value: '1.50 × (89 µs at 59)',
    });
    // No Hono, bearer, stale or distinct-sessions rows: no targets for them.
    expect([...fast.keys(), ...slow.keys()].filter((k) => /Hono|bearer|stale|sessions req/.test(k))).toEqual([]);
  });

  it('holds bearer to within 10 % of session either way, and the stale and distinct rows to 0.85 ×', () => {
    const three = (rps: number, cpu: number): Array<[number, number]> => [
      [rps, cpu],
      [rps, cpu],
      [rps, cpu],
    ];
    const rounds = rows({
      [ROWS.oneCookie]: three(1000, 100),
      [ROWS.bearer]: three(1100, 85),
      [ROWS.stale]: three(860, 100),
      [ROWS.distinct(5000)]: three(840, 100),
    });
    const byName = new Map(tableTargets(rounds, 5000).map((t) => [t.target, t]));
    expect(byName.get('bearer CPU within 10 % of session')).toEqual({
      target: 'bearer CPU within 10 % of session',
      value: "85 against 100 µs (−15 %, median of the rounds' ratios)",
      met: false,
    });
    expect(byName.get('stale cookie req/s ≥ 0.85 × one cookie')).toMatchObject({ met: true, value: '0.86 ×' });
    expect(byName.get('5,000 sessions req/s ≥ 0.85 × one cookie')).toMatchObject({ met: false, value: '0.84 ×' });
  });

  it('counts the targets met as written and with the CPU targets scaled, then lists each', () => {
    const report = targetsReport([
      { target: 'session cookie CPU ≤ 120 µs/request', value: '130 µs', met: false, kind: 'absolute' },
      { target: 'session cookie CPU ≤ 2.03 × the raw proxy', value: '1.60 ×', met: true, kind: 'scaled' },
      { target: 'p99 added at half load ≤ 1 ms', value: '+0.50 ms', met: true },
    ]);
    expect(report).toEqual([
      'targets (README, Performance), this run: 1 of 2 met; 2 of 2 met with the CPU targets scaled to the raw proxy',
      '  NOT met  session cookie CPU ≤ 120 µs/request: 130 µs',
      '  met      session cookie CPU ≤ 2.03 × the raw proxy: 1.60 ×',
      '  met      p99 added at half load ≤ 1 ms: +0.50 ms',
    ]);
    expect(targetsReport([])).toEqual([]);
  });
});
