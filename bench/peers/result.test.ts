import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RUN_PLAN, samplePaired, sampleQuery } from './result.ts';

test('sampleQuery warms untimed, then returns only the timed samples', async () => {
  const calls: boolean[] = [];
  let n = 0;
  const samples = await sampleQuery(
    (timed) => {
      calls.push(timed);
      return ++n;
    },
    4,
    { ...RUN_PLAN, minWarmupRuns: 3, maxWarmupRuns: 1000, warmupMs: 0, timedMs: 0, maxTimedRuns: 200 },
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
    { ...RUN_PLAN, minWarmupRuns: 1, maxWarmupRuns: 50, warmupMs: 60_000, timedMs: 60_000, maxTimedRuns: 30 },
  );
  assert.equal(calls.filter((t) => !t).length, 50);
  assert.equal(samples.length, 30);
  assert.deepEqual(calls.slice(0, 50), Array(50).fill(false));
});

test('sampleQuery takes at least the asked runs even past its time budget', async () => {
  const samples = await sampleQuery(() => 2, 12, { ...RUN_PLAN, minWarmupRuns: 0, maxWarmupRuns: 0, warmupMs: 0, timedMs: 0, maxTimedRuns: 5 });
  assert.equal(samples.length, 12);
});

test('samplePaired warms each system, then times them in alternating slices, each led by untimed runs', async () => {
  const calls: string[] = [];
  const system = (name: string) => (timed: boolean) => {
    calls.push(`${name}${timed ? '' : '~'}`);
    return name === 'a' ? 1 : 2;
  };
  const [a, b] = await samplePaired([system('a'), system('b')], 4, {
    ...RUN_PLAN,
    minWarmupRuns: 2,
    maxWarmupRuns: 2,
    warmupMs: 0,
    timedMs: 0,
    sliceRuns: 2,
    sliceWarmupRuns: 1,
  });
  assert.deepEqual(calls.join(' '), 'a~ a~ b~ b~ a~ a a b~ b b a~ a a b~ b b');
  assert.deepEqual(a, [1, 1, 1, 1]);
  assert.deepEqual(b, [2, 2, 2, 2]);
});

test('samplePaired lets a system that has used its time stop while the other goes on to its run cap', async () => {
  const slow = async () => {
    await new Promise((ok) => setTimeout(ok, 30));
    return 30;
  };
  const [fast, slowSamples] = await samplePaired([() => 0.01, slow], 1, {
    ...RUN_PLAN,
    minWarmupRuns: 0,
    maxWarmupRuns: 0,
    timedMs: 45,
    maxTimedRuns: 100,
    sliceRuns: 5,
    sliceWarmupRuns: 0,
  });
  assert.equal(fast.length, 100);
  assert.ok(slowSamples.length >= 1 && slowSamples.length <= 2, `slow system timed ${slowSamples.length} times`);
});
