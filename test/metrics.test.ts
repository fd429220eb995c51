import { describe, expect, it } from 'vitest';
import { statusClass } from '../src/metrics';
import { MetricsRegistry } from '../src/metrics/prometheus';

describe('metrics registry (series found by label values, written in first-seen order)', () => {
  it('counts per distinct label values and writes the series in the order they first appeared', () => {
    const r = new MetricsRegistry('t_');
    const c = r.counter('requests_total', 'Requests.', ['app', 'status_class']);
    c.inc({ app: 'b', status_class: '2xx' });
    c.inc({ app: 'a', status_class: '2xx' }, 2);
    c.inc({ app: 'b', status_class: '2xx' });
    c.inc({ app: 'b', status_class: '4xx' });
    expect(c.get({ app: 'b', status_class: '2xx' })).toBe(2);
    expect(c.get({ app: 'a', status_class: '4xx' })).toBe(0);
    expect(r.render()).toBe(
      [
        '# HELP t_requests_total Requests.',
        '# TYPE t_requests_total counter',
        't_requests_total{app="b",status_class="2xx"} 2',
        't_requests_total{app="a",status_class="2xx"} 2',
        't_requests_total{app="b",status_class="4xx"} 1',
        '',
      ].join('\n'),
    );
  });

  it('keeps label values apart whatever characters they hold', () => {
    const r = new MetricsRegistry('t_');
    const c = r.counter('x_total', 'X.', ['a', 'b']);
    c.inc({ a: 'p\u0000q', b: 'r' });
    c.inc({ a: 'p', b: 'q\u0000r' });
    expect(c.get({ a: 'p\u0000q', b: 'r' })).toBe(1);
    expect(c.get({ a: 'p', b: 'q\u0000r' })).toBe(1);
  });

  it('a family without labels has one series', () => {
    const r = new MetricsRegistry('t_');
    const c = r.counter('plain_total', 'Plain.', []);
    c.inc({});
    c.inc({}, 4);
    expect(c.get({})).toBe(5);
    expect(r.render()).toContain('\nt_plain_total 5\n');
  });

  it('histograms count per bucket and gauges replace their value in place', () => {
    const r = new MetricsRegistry('t_');
    const h = r.histogram('d_seconds', 'D.', ['app'], [0.1, 1]);
    h.observe({ app: 'x' }, 0.05);
    h.observe({ app: 'x' }, 0.5);
    h.observe({ app: 'x' }, 5);
    expect(h.count({ app: 'x' })).toBe(3);
    const g = r.gauge('info', 'I.', ['v']);
    g.set({ v: '1' }, 1);
    g.set({ v: '2' }, 1);
    g.set({ v: '1' }, 7);
    const text = r.render();
    expect(text).toContain('t_d_seconds_bucket{app="x",le="0.1"} 1\nt_d_seconds_bucket{app="x",le="1"} 2\nt_d_seconds_bucket{app="x",le="+Inf"} 3\n');
    expect(text).toContain('t_d_seconds_sum{app="x"} 5.55\nt_d_seconds_count{app="x"} 3\n');
    expect(text).toContain('t_info{v="1"} 7\nt_info{v="2"} 1\n');
  });

  it('status classes', () => {
    expect([statusClass(101), statusClass(200), statusClass(304), statusClass(404), statusClass(503), statusClass(600)]).toEqual([
      '1xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      '6xx',
    ]);
  });
});
