import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateMeter, TailBuffer } from './tail-buffer.ts';

const hit = (i: number) => ({ _id: String(i), _index: 't', '@timestamp': new Date(i).toISOString(), message: `line ${i}` });

test('the buffer keeps the newest lines up to its capacity and reports what it evicted', () => {
  const b = new TailBuffer(5);
  assert.deepEqual(b.push([hit(0), hit(1), hit(2)]), []);
  const gone = b.push([hit(3), hit(4), hit(5), hit(6)]);
  assert.deepEqual(gone.map((l) => l.seq), [0, 1]);
  assert.deepEqual(b.snapshot().map((l) => l.hit.message), ['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
  assert.equal(b.evicted, 2);
  assert.equal(b.length, 5);
  b.clear();
  assert.equal(b.length, 0);
  assert.equal(b.evicted, 7);
});

test('the rate meter averages the completed seconds of its window', () => {
  const t0 = 1_000_000;
  const m = new RateMeter(5, t0);
  for (let s = 0; s < 6; s++) m.add(100, t0 + s * 1000 + 10);
  // After six seconds of 100 lines each, the four completed slots before the current one hold 100 each.
  assert.equal(m.perSecond(t0 + 5500), 100);
  // Ten silent seconds later the window is empty.
  assert.equal(m.perSecond(t0 + 16_000), 0);
});
