import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePayload, type LogEntry } from '../log/frame.ts';
import { ChunkPool, PayloadArena } from './payload-arena.ts';

/** The payload the log format defines, written out independently of the code under test. */
const expected = (entries: readonly LogEntry[]) => Buffer.from(entries.map((e) => `${e.ts}\t${e.fieldsJson}\n`).join(''), 'utf8');

const entry = fc.record({
  ts: fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
  // Any text: multi-byte characters and lone surrogates (which UTF-8 encodes as U+FFFD) must come out the same.
  fieldsJson: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 6000 })),
});

describe('PayloadArena', () => {
  test('encodes exactly the log payload of any batch, and decodes back to it', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), (entries) => {
        const arena = new PayloadArena(new ChunkPool(64 * 1024, 4, 60_000));
        const p = arena.encode(entries);
        assert.ok(p.buffer instanceof SharedArrayBuffer, 'in shared memory');
        assert.deepEqual(Buffer.from(p), expected(entries));
        if (entries.every((e) => !e.fieldsJson.includes('\n') && !e.fieldsJson.includes('\t'))) {
          const back: LogEntry[] = [];
          decodePayload(Buffer.from(p), (_, ts, fieldsJson) => back.push({ ts, fieldsJson }));
          assert.deepEqual(
            back.map((e) => e.ts),
            entries.map((e) => Number(String(e.ts))),
          );
        }
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });

  test('reuses a chunk only once every payload in it is released, never under a live one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.array(entry, { minLength: 1, maxLength: 8 }).map((es) => ({ encode: es })), fc.nat(50).map((k) => ({ release: k }))), {
          minLength: 1,
          maxLength: 120,
        }),
        (ops) => {
          const pool = new ChunkPool(16 * 1024, 4, 60_000);
          const arena = new PayloadArena(pool);
          const live: { p: Buffer; want: Buffer }[] = [];
          for (const op of ops) {
            if ('encode' in op) {
              const p = arena.encode(op.encode);
              live.push({ p, want: expected(op.encode) });
            } else if (live.length > 0) {
              const [gone] = live.splice(op.release % live.length, 1);
              arena.release(gone.p);
            }
            for (const l of live) assert.deepEqual(Buffer.from(l.p), l.want, 'a live payload was overwritten');
          }
          for (const l of live) arena.release(l.p);
          assert.ok(arena.inUse <= 1, 'only the current chunk stays once every payload is released');
        },
      ),
      { seed: 11301, numRuns: 200 },
    );
  });

  test('gives chunks back to the pool as their payloads are released, and drops idle chunks', async () => {
    const pool = new ChunkPool(1024, 8, 100);
    const arena = new PayloadArena(pool);
    const batch = (k: number): LogEntry[] => [{ ts: k, fieldsJson: JSON.stringify({ message: 'x'.repeat(300) }) }];
    const ps = [0, 1, 2, 3, 4, 5].map((k) => arena.encode(batch(k)));
    // 316-byte payloads: three to a chunk, so two chunks.
    assert.equal(arena.inUse, 2);
    assert.equal(ps[0].buffer, ps[2].buffer);
    assert.notEqual(ps[2].buffer, ps[3].buffer);
    for (const p of ps.slice(0, 2)) arena.release(p);
    assert.equal(pool.held, 0, 'the first chunk still holds a live payload');
    arena.release(ps[2]);
    assert.equal(pool.held, 1, 'released in full, and not the chunk being filled: back to the pool');
    for (const p of ps.slice(3)) arena.release(p);
    assert.equal(pool.held, 1, 'the chunk being filled stays with the arena');
    const next = arena.encode(batch(6));
    assert.equal(next.buffer, ps[3].buffer, 'it goes on filling its current chunk');
    const big = arena.encode([{ ts: 7, fieldsJson: 'y'.repeat(5000) }]);
    assert.ok(big.buffer instanceof SharedArrayBuffer && big.buffer.byteLength === big.length, 'too large for a chunk: memory of its own');
    arena.release(big);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pool.held, 0, 'idle chunks are dropped');
  });
});
