import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleQuery } from './result.ts';

test('sampleQuery warms untimed, then returns only the timed samples', async () => {
  const calls: boolean[] = [];
  let n = 0;
  const samples = await sampleQuery(
    (timed) => {
      calls.push(timed);
      return ++n;
    },
    4,
    { minWarmupRuns: 3, maxWarmupRuns: 1000, warmupMs: 0, timedMs: 0, maxTimedRuns: 200 },
  );
  assert.deepEqual(calls, [false, false, false, true, true, true, true]);
  assert.deepEqual(samples, [4, 5, 6, 7]);
});

test('sampleQuery keeps warming and timing for the planned time, within the run caps', async () => {
  const calls: boolean[] = [];
  const samples = await sampleQuery(
    async (timed) => {
      calls.push(timed);
      return 1;
    },
    2,
    { minWarmupRuns: 1, maxWarmupRuns: 50, warmupMs: 60_000, timedMs: 60_000, maxTimedRuns: 30 },
  );
  assert.equal(calls.filter((t) => !t).length, 50);
  assert.equal(samples.length, 30);
  assert.deepEqual(calls.slice(0, 50), Array(50).fill(false));
});

test('sampleQuery takes at least the asked runs even past its time budget', async () => {
  const samples = await sampleQuery(() => 2, 12, { minWarmupRuns: 0, maxWarmupRuns: 0, warmupMs: 0, timedMs: 0, maxTimedRuns: 5 });
  assert.equal(samples.length, 12);
});
