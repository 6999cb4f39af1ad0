import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absoluteRange, describeRange, resolveRange, resolveTime, TimeError } from './time-range.ts';

const NOW = Date.UTC(2026, 10, 29, 15, 42, 17, 123);

test('date math: offsets in every unit, applied left to right', () => {
  assert.equal(resolveTime('now', NOW), NOW);
  assert.equal(resolveTime('now-15m', NOW), NOW - 15 * 60_000);
  assert.equal(resolveTime('now-1h+30m', NOW), NOW - 30 * 60_000);
  assert.equal(resolveTime('now-7d', NOW), NOW - 7 * 86_400_000);
  assert.equal(resolveTime('now-2w', NOW), NOW - 14 * 86_400_000);
  const monthAgo = new Date(NOW);
  monthAgo.setMonth(monthAgo.getMonth() - 1);
  assert.equal(resolveTime('now-1M', NOW), monthAgo.getTime());
  assert.equal(resolveTime(' now-30s ', NOW), NOW - 30_000);
});

test('rounding: down at the start of a range, up to the last millisecond at its end', () => {
  const startOfDay = new Date(NOW);
  startOfDay.setHours(0, 0, 0, 0);
  assert.equal(resolveTime('now/d', NOW), startOfDay.getTime());
  assert.equal(resolveTime('now/d', NOW, true), startOfDay.getTime() + 86_400_000 - 1);
  const startOfHour = new Date(NOW);
  startOfHour.setMinutes(0, 0, 0);
  assert.equal(resolveTime('now-1h/h', NOW), startOfHour.getTime() - 3600_000);
  // "Today" is the whole local day.
  const r = resolveRange({ from: 'now/d', to: 'now/d' }, NOW);
  assert.equal(r.toMs - r.fromMs, 86_400_000 - 1);
});

test('absolute times: ISO 8601 and epoch milliseconds', () => {
  assert.equal(resolveTime('2026-11-29T08:00:00Z', NOW), Date.UTC(2026, 10, 29, 8));
  assert.equal(resolveTime('2026-11-29T08:00:00.5+01:00', NOW), Date.UTC(2026, 10, 29, 7, 0, 0, 500));
  assert.equal(resolveTime('1795966937123', NOW), 1795966937123);
});

test('what is not a time is a TimeError saying what is accepted; a reversed range too', () => {
  for (const bad of ['', 'yesterday', 'now-', 'now-5x', 'now/q', '2026-13-45', '12345']) {
    assert.throws(() => resolveTime(bad, NOW), (e: unknown) => e instanceof TimeError && /now-15m|empty/.test((e as Error).message), bad);
  }
  assert.throws(() => resolveRange({ from: 'now', to: 'now-1h' }, NOW), /after its end/);
});

test('labels: quick ranges by name, others as from → to', () => {
  assert.equal(describeRange({ from: 'now-15m', to: 'now' }), 'Last 15 minutes');
  assert.equal(describeRange({ from: 'now-3h', to: 'now-1h' }), 'now-3h → now-1h');
  const abs = absoluteRange(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2));
  assert.deepEqual(abs, { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
  assert.equal(describeRange(abs), '2026-01-01T00:00:00.000Z → 2026-01-02T00:00:00.000Z');
});
