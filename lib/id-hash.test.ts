import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashId } from './id-hash.ts';

test('hashId is cyrb64: its two halves reproduce the published cyrb53 values, and never change', () => {
  const h = new Uint32Array(3);
  // cyrb53 is the low 21 bits of the high half above the low half (bryc's reference values).
  const cyrb53 = (id: string) => (hashId(id, h, 1), 4294967296 * (h[1] & 0x1fffff) + h[2]);
  assert.deepEqual(['a', 'b', 'revenge', 'revenue'].map(cyrb53), [7929297801672961, 8684336938537663, 4051478007546757, 8309097637345594]);
  hashId('agent-1/file-7:4096', h, 1);
  assert.deepEqual([h[0], h[1], h[2]], [0, 0x285261b8, 0xe248ec62], 'written at the offset given, nowhere else');
});
