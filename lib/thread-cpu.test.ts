import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Piscina } from 'piscina';
import { threadCpuSeconds } from './thread-cpu.ts';
import spin from './thread-cpu-spin.testing.ts';

const linux = process.platform === 'linux';

test('the calling thread\'s CPU time grows by about the time it computes', { skip: !linux && 'Linux only' }, () => {
  const a = threadCpuSeconds()!;
  assert.ok(spin(300) > 0.1);
  const b = threadCpuSeconds()!;
  // On a CPU for most of 300 ms of wall time; a loaded machine may take some of it away, never add to it.
  assert.ok(b - a > 0.1, `grew by ${b - a} s`);
  assert.ok(b - a < 0.5, `grew by ${b - a} s`);
});

test('a thread counts only its own time, not another thread\'s', { skip: !linux && 'Linux only' }, async () => {
  const before = threadCpuSeconds()!;
  // The worker computes for 400 ms while this thread waits (no CPU) for its answer.
  const pool = new Piscina({ filename: new URL('./thread-cpu-spin.testing.ts', import.meta.url).href, execArgv: ['--import', import.meta.resolve('tsx')], maxThreads: 1 });
  const workerCpu = (await pool.run(400)) as number;
  await pool.destroy();
  const mine = threadCpuSeconds()! - before;
  assert.ok(workerCpu > 0.15, `worker ${workerCpu} s`);
  assert.ok(mine < workerCpu / 2, `this thread ${mine} s while the worker computed ${workerCpu} s`);
});
