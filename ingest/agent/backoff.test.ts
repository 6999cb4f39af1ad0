import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, parseRetryAfter } from './backoff.ts';

const s = { initialMs: 100, maxMs: 5000, maxRetryAfterMs: 60_000 };

test('backoff doubles up to its cap, each wait drawn between 0 and the bound (full jitter)', () => {
  const bounds = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
  bounds.forEach((bound, k) => {
    assert.equal(backoffMs(s, k + 1, null, () => 0.999999), bound - 1);
    assert.equal(backoffMs(s, k + 1, null, () => 0), 0);
  });
  assert.equal(backoffMs(s, 1000, null, () => 0.5), 2500, 'no overflow after many attempts');
  const draws = Array.from({ length: 1000 }, () => backoffMs(s, 4, null));
  assert.ok(draws.every((d) => d >= 0 && d < 800));
  assert.ok(new Set(draws).size > 100, 'waits are spread, not in step');
});

test('Retry-After is a floor, capped at max_retry_after_ms', () => {
  assert.equal(backoffMs(s, 1, 3000, () => 0.5), 3000);
  assert.equal(backoffMs(s, 7, 1000, () => 0.9), 4500, 'a longer backoff still wins');
  assert.equal(backoffMs(s, 1, 3_600_000, () => 0), 60_000);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  assert.equal(parseRetryAfter('1', now), 1000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter('-1', now), null);
  assert.equal(parseRetryAfter(['2', '3'], now), 2000);
});
