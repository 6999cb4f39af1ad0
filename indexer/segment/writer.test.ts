import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32Float } from '../../lib/prng.ts';
import { type DocBytes, writeSegment } from './writer.ts';

/** Records of a few shapes, with numbers, booleans, ids, escapes and non-ASCII text, as fields JSON. */
function records(seed: number, n: number): string[] {
  const rnd = mulberry32Float(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const shapes = [
    () => ({ message: `Received block blk_${int(1e9)} of size ${int(1e8)} from /10.${int(256)}.${int(256)}.1`, system: 'HDFS', bytes: int(5000) }),
    () => ({ message: `User ${['root', 'Admin', 'bob'][int(3)]} failed password "x${int(99)}"\ttab`, system: 'Linux', ok: rnd() < 0.5 }),
    () => ({ message: `température ${int(100)}°C 温度 ${int(9)} \ud83d\ude00`, 'host.name': `node-${int(20)}` }),
    () => ({ _id: `id-${int(1e6)}`, message: 'plain words without a variable', level: 'INFO' }),
  ];
  return Array.from({ length: n }, () => JSON.stringify(shapes[int(shapes.length)]()));
}

/** The texts as a seal's payload holds them: `ts \t json \n` lines, split over a few buffers. */
function asPayload(json: readonly string[], perBuffer: number): DocBytes {
  const n = json.length;
  const docs: DocBytes = { bufs: [], buf: new Uint32Array(n), start: new Uint32Array(n), end: new Uint32Array(n) };
  for (let first = 0; first < n; first += perBuffer) {
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = first; i < Math.min(n, first + perBuffer); i++) {
      const head = Buffer.from(`${1000 + i}\t`);
      const body = Buffer.from(json[i], 'utf8');
      docs.buf[i] = docs.bufs.length;
      docs.start[i] = at + head.length;
      docs.end[i] = at + head.length + body.length;
      parts.push(head, body, Buffer.from('\n'));
      at = docs.end[i] + 1;
    }
    docs.bufs.push(Buffer.concat(parts));
  }
  return docs;
}

test('a segment sealed from payload bytes is byte for byte the one sealed from the same texts as strings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-writer-'));
  try {
    const n = 9000;
    const json = records(11, n);
    const ts = Float64Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 4));
    const seq = Float64Array.from({ length: n }, (_, i) => i);
    for (const opts of [{}, { patterns: false }]) {
      writeSegment(join(dir, 'strings.seg'), { ts, seq, json }, { groupedMinDf: 16, ...opts });
      writeSegment(join(dir, 'bytes.seg'), { ts, seq, json: asPayload(json, 700) }, { groupedMinDf: 16, ...opts });
      const a = readFileSync(join(dir, 'strings.seg'));
      const b = readFileSync(join(dir, 'bytes.seg'));
      assert.ok(a.length > 10_000, `a real segment (${a.length} bytes)`);
      assert.ok(a.equals(b), `same bytes with ${JSON.stringify(opts)}: ${a.length} and ${b.length}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
