import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultyFileSystem, Rng, tempDir } from '../testing.ts';
import { AppendLog, type AppendLogOptions } from './append-log.ts';
import { encodePayload, FILE_HEADER_BYTES, FRAME_HEADER_BYTES, type LogEntry } from './frame.ts';

interface Replayed {
  offset: number;
  ts: number;
  json: string;
}

/** Entries given as text, as every test here writes them. */
type TextEntry = LogEntry & { fieldsJson: string };

function entry(i: number, extra = ''): TextEntry {
  return { ts: 1_700_000_000_000 + i, fieldsJson: JSON.stringify({ message: `record ${i} ${extra}`, i, s: 'tab\there\nnewline "q" café 𝑥' }) };
}

function batch(from: number, count: number, extra = ''): TextEntry[] {
  return Array.from({ length: count }, (_, k) => entry(from + k, extra));
}

/** Frame bytes of a batch: header plus payload. */
const frameBytes = (entries: LogEntry[]) => FRAME_HEADER_BYTES + encodePayload(entries).length;

async function open(
  dir: string,
  over: Partial<AppendLogOptions> = {},
  fromOffset = 0,
): Promise<{ log: AppendLog; records: Replayed[]; warnings: string[] }> {
  const records: Replayed[] = [];
  const warnings: string[] = [];
  const log = await AppendLog.open(
    { dir, durability: { mode: 'batch' }, maxFileBytes: 64 * 1024 * 1024, warn: (m) => warnings.push(m), ...over },
    fromOffset,
    (offset, ts, json) => records.push({ offset, ts, json }),
  );
  return { log, records, warnings };
}

const walFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();

function assertRecords(got: Replayed[], want: LogEntry[], firstOffset = 0, ctx = ''): void {
  assert.deepEqual(
    got,
    want.map((e, k) => ({ offset: firstOffset + k, ts: e.ts, json: e.fieldsJson })),
    ctx,
  );
}

describe('AppendLog', () => {
  test('append/replay round trip, offsets, empty batches, replay from an offset', async () => {
    const dir = tempDir('log-rt');
    try {
      const { log, records } = await open(dir.path);
      assert.deepEqual(records, []);
      assert.equal(log.nextOffset, 0);
      const all: LogEntry[] = [];
      for (const n of [1, 5, 0, 17, 2, 100, 1]) {
        const b = batch(all.length, n);
        const base = await log.append(b);
        assert.equal(base, all.length, 'a batch resolves with its first offset');
        all.push(...b);
        assert.equal(log.nextOffset, all.length);
        assert.equal(log.durableOffset, all.length);
      }
      await log.close();
      await assert.rejects(log.append(batch(0, 1)), /closed/);

      const r1 = await open(dir.path);
      assertRecords(r1.records, all);
      assert.deepEqual(r1.warnings, []);
      assert.equal(r1.log.nextOffset, all.length);
      await r1.log.close();

      const r2 = await open(dir.path, {}, 20);
      assertRecords(r2.records, all.slice(20), 20, 'replay starts at fromOffset, even mid-frame');
      assert.equal(r2.log.nextOffset, all.length);
      await r2.log.close();
    } finally {
      dir.remove();
    }
  });

  test('group commit: many concurrent appends share fsyncs and get contiguous offsets in call order', async () => {
    const dir = tempDir('log-group');
    try {
      const fs = new FaultyFileSystem(); // never crashed here: it only counts writes and fsyncs
      const { log } = await open(dir.path, { fs });
      const before = { syncs: fs.syncs, appends: fs.appends };
      const N = 200;
      const batches = Array.from({ length: N }, (_, i) => batch(i * 3, 3));
      const bases = await Promise.all(batches.map((b) => log.append(b)));
      assert.deepEqual(bases, batches.map((_, i) => i * 3));
      const syncs = fs.syncs - before.syncs;
      const writes = fs.appends - before.appends;
      assert.ok(syncs >= 1 && syncs < N / 10, `${N} concurrent appends took ${syncs} fsyncs`);
      assert.ok(writes < N / 10, `${N} concurrent appends took ${writes} writes`);
      // Sequential appends cannot share: one fsync each.
      const s0 = fs.syncs;
      for (let i = 0; i < 5; i++) await log.append(batch(N * 3 + i, 1));
      assert.equal(fs.syncs - s0, 5);
      await log.close();
      const r = await open(dir.path);
      assertRecords(r.records, [...batches.flat(), ...batch(N * 3, 5)]);
      await r.log.close();
    } finally {
      dir.remove();
    }
  });

  test('rolls to a new file at maxFileBytes; replays across files; releaseBefore drops whole sealed files', async () => {
    const dir = tempDir('log-roll');
    try {
      const maxFileBytes = 600;
      const { log } = await open(dir.path, { maxFileBytes });
      const all: LogEntry[] = [];
      for (let i = 0; i < 40; i++) {
        const b = batch(all.length, 1 + (i % 4));
        await log.append(b);
        all.push(...b);
      }
      const files = walFiles(dir.path);
      assert.ok(files.length >= 5, `expected several files, got ${files.length}`);
      assert.equal(log.fileCount, files.length);
      const bases = files.map((f) => Number(f.slice(0, 20)));
      assert.equal(bases[0], 0);
      for (const f of files.slice(0, -1)) {
        const size = statSync(join(dir.path, f)).size;
        // A file rolls once it has reached the limit: never more than one frame past it.
        assert.ok(size >= maxFileBytes && size < maxFileBytes + frameBytes(batch(0, 4)), `${f} is ${size} bytes`);
      }
      await log.close();

      const r = await open(dir.path, { maxFileBytes });
      assertRecords(r.records, all);
      // Release everything below the start of the third file: the first two files go, later ones stay.
      await r.log.releaseBefore(bases[2]);
      assert.deepEqual(walFiles(dir.path), files.slice(2));
      // An offset inside a file keeps that file.
      await r.log.releaseBefore(bases[3] + 1);
      assert.deepEqual(walFiles(dir.path), files.slice(3));
      // Releasing everything written rolls the active file first: the log shrinks to one empty file.
      await r.log.releaseBefore(all.length);
      const left = walFiles(dir.path);
      assert.equal(left.length, 1);
      assert.equal(Number(left[0].slice(0, 20)), all.length);
      assert.equal(statSync(join(dir.path, left[0])).size, FILE_HEADER_BYTES);
      assert.equal(r.log.fileCount, 1);
      const more = batch(all.length, 3);
      assert.equal(await r.log.append(more), all.length);
      await r.log.close();

      // Reopened from what a manifest would say is sealed: only the later records come back.
      const r2 = await open(dir.path, { maxFileBytes }, all.length);
      assertRecords(r2.records, more, all.length);
      assert.equal(r2.log.nextOffset, all.length + 3);
      await r2.log.close();
    } finally {
      dir.remove();
    }
  });

  test('a torn tail (file cut mid-frame) is truncated on reopen with a warning; appending continues', async () => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 25; trial++) {
      const dir = tempDir('log-torn');
      try {
        const { log } = await open(dir.path);
        const batches = Array.from({ length: rng.int(1, 6) }, () => rng.int(1, 5));
        const all: LogEntry[] = [];
        const ends: number[] = [FILE_HEADER_BYTES];
        for (const n of batches) {
          const b = batch(all.length, n);
          await log.append(b);
          all.push(...b);
          ends.push(ends[ends.length - 1] + frameBytes(b));
        }
        await log.close();
        const [file] = walFiles(dir.path);
        const path = join(dir.path, file);
        assert.equal(statSync(path).size, ends[ends.length - 1]);
        // Cut somewhere inside the last frame (header or payload), never at a frame boundary.
        const lastStart = ends[ends.length - 2];
        const cut = rng.int(lastStart + 1, ends[ends.length - 1] - 1);
        truncateSync(path, cut);

        const r = await open(dir.path);
        const kept = all.length - batches[batches.length - 1];
        assertRecords(r.records, all.slice(0, kept), 0, `cut at ${cut}`);
        assert.equal(r.warnings.length, 1);
        assert.match(r.warnings[0], /torn frame/);
        assert.equal(statSync(path).size, lastStart, 'the torn bytes are cut off');
        assert.equal(r.log.nextOffset, kept);
        const more = batch(kept, 2, 'after');
        assert.equal(await r.log.append(more), kept);
        await r.log.close();

        const r2 = await open(dir.path);
        assertRecords(r2.records, [...all.slice(0, kept), ...more]);
        assert.deepEqual(r2.warnings, []);
        await r2.log.close();
      } finally {
        dir.remove();
      }
    }
  });

  test('a corrupt last frame (any byte flipped) is truncated on reopen with a warning; earlier frames intact', async () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 25; trial++) {
      const dir = tempDir('log-flip');
      try {
        const { log } = await open(dir.path);
        const all: LogEntry[] = [];
        let lastCount = 0;
        for (let k = rng.int(1, 5); k > 0; k--) {
          const b = batch(all.length, rng.int(1, 4));
          await log.append(b);
          all.push(...b);
          lastCount = b.length;
        }
        await log.close();
        const [file] = walFiles(dir.path);
        const path = join(dir.path, file);
        const buf = readFileSync(path);
        const lastStart = buf.length - frameBytes(all.slice(all.length - lastCount));
        const at = rng.int(lastStart, buf.length - 1);
        buf[at] ^= 1 << rng.int(0, 7);
        writeFileSync(path, buf);

        const r = await open(dir.path);
        assertRecords(r.records, all.slice(0, all.length - lastCount), 0, `flipped byte ${at - lastStart} of the last frame`);
        assert.equal(r.warnings.length, 1, r.warnings.join('; '));
        assert.match(r.warnings[0], /CRC mismatch|torn frame|implausible frame length/);
        assert.equal(statSync(path).size, lastStart);
        const more = batch(all.length - lastCount, 1, 'after');
        assert.equal(await r.log.append(more), all.length - lastCount);
        await r.log.close();
        const r2 = await open(dir.path);
        assertRecords(r2.records, [...all.slice(0, all.length - lastCount), ...more]);
        await r2.log.close();
      } finally {
        dir.remove();
      }
    }
  });

  test('a file whose header never reached the disk is removed on reopen', async () => {
    const dir = tempDir('log-header');
    try {
      const { log } = await open(dir.path);
      const all = batch(0, 4);
      await log.append(all);
      await log.close();
      // A rolled file created just before a crash: empty, or a partial header.
      const empty = join(dir.path, '00000000000000000004.wal');
      writeFileSync(empty, Buffer.alloc(0));
      const r = await open(dir.path);
      assertRecords(r.records, all);
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0], /removing it/);
      assert.equal(existsSync(empty), false);
      assert.equal(await r.log.append(batch(4, 1)), 4);
      await r.log.close();

      // The only file, with 7 bytes of header: removed, and a fresh log starts.
      const dir2 = tempDir('log-header2');
      try {
        writeFileSync(join(dir2.path, '00000000000000000000.wal'), Buffer.from([0x53, 0x54, 0x52, 0x4c, 1, 0, 0]));
        const r2 = await open(dir2.path);
        assert.deepEqual(r2.records, []);
        assert.match(r2.warnings.join(';'), /removing it/);
        assert.equal(await r2.log.append(batch(0, 2)), 0);
        await r2.log.close();
        const r3 = await open(dir2.path);
        assertRecords(r3.records, batch(0, 2));
        await r3.log.close();
      } finally {
        dir2.remove();
      }
      const r4 = await open(dir.path);
      assertRecords(r4.records, [...all, ...batch(4, 1)]);
      await r4.log.close();
    } finally {
      dir.remove();
    }
  });
});

describe('AppendLog durability under simulated power loss', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('every acknowledged append survives a crash at a random point; offsets stay contiguous; reopen never throws', async () => {
    const rng = new Rng(0xc0ffee);
    const ROUNDS = 8;
    const CRASHES_PER_ROUND = 6;
    let ackedTotal = 0;
    let lostTotal = 0;
    let releases = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = tempDir('log-crash');
      try {
        const maxFileBytes = rng.pick([256, 700, 4096, 1 << 20]);
        /** What each offset holds: verified recovered content, overwritten by newer appends given that offset. */
        const truth = new Map<number, string>();
        /** Offsets of acknowledged appends (must survive every later crash unless released). */
        const acked = new Set<number>();
        /** What a shard manifest would say is sealed: replay starts here, and the log may drop files below it. */
        let released = 0;
        let recovered = 0;
        for (let c = 0; c < CRASHES_PER_ROUND; c++) {
          const ctx = `round ${round} crash ${c}`;
          const fs = new FaultyFileSystem();
          const { log } = await open(dir.path, { fs, maxFileBytes }, released);
          assert.equal(log.nextOffset, recovered, ctx);
          let ackedPrefix = recovered;
          const pending: Promise<unknown>[] = [];
          const steps = rng.int(1, 80);
          for (let s = 0; s < steps; s++) {
            const r = rng.float();
            if (r < 0.6) {
              const b = batch(log.nextOffset, rng.int(1, 6), `r${round}c${c}`);
              const base = log.nextOffset;
              b.forEach((e, k) => truth.set(base + k, e.fieldsJson));
              pending.push(
                log.append(b).then(
                  (got) => {
                    assert.equal(got, base);
                    // Acknowledged only if the promise resolved before the crash; acks come in offset order.
                    if (fs.crashed) return;
                    assert.equal(base, ackedPrefix, `${ctx}: acknowledgements in offset order`);
                    ackedPrefix = base + b.length;
                    for (let k = 0; k < b.length; k++) acked.add(base + k);
                  },
                  () => {},
                ),
              );
            } else if (r < 0.67) {
              // As a seal does: commit "sealed up to F" first, then let the log drop (and maybe roll) files.
              released = rng.int(released, ackedPrefix);
              releases++;
              pending.push(log.releaseBefore(released).catch(() => {}));
            } else if (r < 0.87) {
              await new Promise((res) => setImmediate(res));
            } else {
              await sleep(rng.int(0, 3));
            }
          }
          await fs.crash({ rng, tornProbability: 0.6, garbageProbability: 0.4 });
          await Promise.all(pending);

          // Reopen with the real file system: never throws, recovers a contiguous run from the released offset
          // that includes every acknowledged record.
          const r = await open(dir.path, { maxFileBytes }, released);
          const offsets = r.records.map((x) => x.offset);
          assert.deepEqual(offsets, offsets.map((_, k) => released + k), `${ctx}: offsets contiguous from ${released}`);
          for (const x of r.records) assert.equal(x.json, truth.get(x.offset), `${ctx}: content at offset ${x.offset}`);
          const end = released + r.records.length;
          for (const o of acked) assert.ok(o < released || o < end, `${ctx}: acknowledged offset ${o} lost (recovered up to ${end})`);
          assert.equal(r.log.nextOffset, end, ctx);
          const assigned = truth.size === 0 ? 0 : Math.max(...truth.keys()) + 1;
          lostTotal += assigned - end;
          recovered = end;
          // Offsets past what was recovered were never acknowledged; later appends reuse them.
          for (const o of [...truth.keys()]) if (o >= recovered) truth.delete(o);
          await r.log.close();
        }
        ackedTotal += acked.size;
      } finally {
        dir.remove();
      }
    }
    // Only meaningful if crashes both kept acknowledged records and cut unacknowledged ones.
    assert.ok(ackedTotal > 100, `acked ${ackedTotal}`);
    assert.ok(lostTotal > 10, `lost ${lostTotal}`);
    assert.ok(releases > 10, `releases ${releases}`);
  });
});

describe('AppendLog: a write that fails part-way', () => {
  test('leaves nothing of its batches behind, even after a restart (simulated short write)', async () => {
    const dir = tempDir('log-enospc');
    try {
      const fs = new FaultyFileSystem();
      const { log } = await open(dir.path, { fs });
      await log.append(batch(0, 1));
      // A write in flight, so that the next three appends are grouped into one write...
      const first = log.append(batch(1, 1));
      const [a, b, x] = [batch(2, 2, 'a'), batch(4, 1, 'b'), batch(5, 3, 'x')];
      // ...which gets A and B fully down, then half of X, then fails like a full disk.
      fs.failNextAppend(frameBytes(a) + frameBytes(b) + Math.floor(frameBytes(x) / 2));
      const grouped = [log.append(a), log.append(b), log.append(x)];
      assert.equal(await first, 1);
      const results = await Promise.allSettled(grouped);
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
      assert.equal(log.nextOffset, 2, 'the failed offsets are given back');
      await log.close();

      // None of the rejected records may come back.
      const r = await open(dir.path);
      assertRecords(r.records, batch(0, 2));
      await r.log.close();
    } finally {
      dir.remove();
    }
  });

  test('leaves nothing of its batches behind, even after a restart (real short write: RLIMIT_FSIZE)', { skip: process.platform !== 'linux' }, async () => {
    const dir = tempDir('log-efbig');
    try {
      // A child with an 8 KiB file size limit: the kernel writes up to the limit, then the next write fails
      // with EFBIG (SIGXFSZ is ignored), exactly like a disk filling up mid-write.
      const script = join(dir.path, 'child.mts');
      const logDir = join(dir.path, 'log');
      const appendLog = new URL('./append-log.ts', import.meta.url).pathname;
      writeFileSync(
        script,
        `import { AppendLog } from ${JSON.stringify(appendLog)};
process.on('SIGXFSZ', () => {});
const rec = (tag, bytes) => [{ ts: 1, fieldsJson: JSON.stringify({ message: tag, pad: 'x'.repeat(bytes) }) }];
const opts = { dir: ${JSON.stringify(logDir)}, durability: { mode: 'batch' }, maxFileBytes: 1 << 20 };
const log = await AppendLog.open(opts, 0, () => {});
await log.append(rec('e0', 50));
const inflight = log.append(rec('e1', 50));
const grouped = [log.append(rec('A', 3000)), log.append(rec('B', 3000)), log.append(rec('X', 5000))];
await inflight;
const statuses = (await Promise.allSettled(grouped)).map((r) => r.status);
await log.close();
const seen = [];
const again = await AppendLog.open(opts, 0, (off, _t, json) => seen.push(off + ':' + JSON.parse(json).message));
await again.close();
process.stdout.write(JSON.stringify({ statuses, seen }));
`,
      );
      const { spawnSync } = await import('node:child_process');
      const root = new URL('../../', import.meta.url).pathname;
      const r = spawnSync('bash', ['-c', `ulimit -f 8 && exec "${process.execPath}" --import tsx "${script}"`], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { statuses: string[]; seen: string[] };
      assert.deepEqual(out.statuses, ['rejected', 'rejected', 'rejected'], 'the grouped write hit the limit');
      assert.deepEqual(out.seen, ['0:e0', '1:e1'], 'rejected batches must not be replayed');
    } finally {
      dir.remove();
    }
  });
});

test('a release that starts while the log closes does not roll the file out from under the closing sync', async () => {
  const dir = tempDir('log-close-release');
  try {
    const { log } = await open(dir.path);
    await log.append(batch(0, 10));
    // A seal finishing as its shard closes: the release must not close the file that close() is syncing.
    const closing = log.close();
    await log.releaseBefore(10);
    await closing;
    const again = await open(dir.path);
    assertRecords(again.records, batch(0, 10));
    await again.log.close();
  } finally {
    dir.remove();
  }
});

test('closing twice at once (two owners shutting down) syncs and closes the file once, without an error', async () => {
  const dir = tempDir('log-close-twice');
  try {
    const { log } = await open(dir.path);
    await log.append(batch(0, 10));
    await Promise.all([log.close(), log.close()]);
    await log.close();
    const again = await open(dir.path);
    assertRecords(again.records, batch(0, 10));
    await again.log.close();
  } finally {
    dir.remove();
  }
});
