import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileState } from './file-state.ts';
import { FileTracker, inputRuntime } from './file-tracker.ts';
import type { Glob } from './glob.ts';
import { ReadBuffer, readChunk } from './read-lines.ts';
import { tempDir, testConfig } from './testing.ts';

/**
 * The tracker driven step by step, with renames put exactly where a busy machine can put them: between a scan's
 * listing of a directory and its lookups of the names listed.
 */

/** A tracker whose next listing runs `between` after listing and before the names listed are looked up. */
class TornTracker extends FileTracker {
  between: (() => void) | null = null;
  protected override async expand(g: Glob): Promise<string[]> {
    const paths = await super.expand(g);
    const f = this.between;
    this.between = null;
    f?.();
    return paths;
  }
}

/** Reads a file to its end, as the agent's loop does (the lines go nowhere). */
async function readToEnd(f: FileState, nowMs: number): Promise<void> {
  const rb = new ReadBuffer(65_536, 65_536);
  const settings = { maxLineBytes: 1024, fingerprintBytes: 1024, partialLineTimeoutMs: 0 };
  while ((await readChunk(f, rb, { line: () => true }, settings, nowMs)) !== 'eof');
}

const lines = (tag: string, n: number) => Array.from({ length: n }, (_, k) => `${tag} ${String(k).padStart(7, '0')} the quick brown fox\n`).join('');

describe('file tracker', () => {
  const dir = tempDir('tracker');
  after(() => dir.remove());

  test('a rotation between a scan listing the directory and looking its names up does not close a renamed file the globs still match, nor read it again under a new key', async () => {
    const d = dir.path;
    const at = (n: string) => join(d, n);
    const cfg = testConfig(join(d, 'registry'), [at('app.log*')], 'http://127.0.0.1:1').inputs[0];
    const input = inputRuntime(cfg, 0, '');
    const logs: string[] = [];
    const tracker = new TornTracker([input], [], { log: (m) => logs.push(m), encode: (f) => f.encode('"i"', '"h"') }, 86_400_000);
    const byInode = (path: string) => tracker.states.filter((f) => f.ino === String(statSync(path).ino));
    let now = 1_000_000;
    const readAll = async () => {
      for (const f of tracker.states) if (f.fh !== null) await readToEnd(f, now);
    };

    writeFileSync(at('app.log'), lines('a', 200));
    await tracker.start(now);
    const a = tracker.states[0];
    await readAll();

    // A rotation the scan sees whole: app.log (a) → app.log.1, a new app.log (b).
    renameSync(at('app.log'), at('app.log.1'));
    writeFileSync(at('app.log'), lines('b', 200));
    now += 100;
    await tracker.scan(input, now);
    assert.equal(a.path, at('app.log.1'));
    await readAll();

    // The next rotation lands between the listing (app.log, app.log.1) and the lookups: app.log.1 is then b, and
    // a, now app.log.2, was listed under no name.
    tracker.between = () => {
      renameSync(at('app.log.1'), at('app.log.2'));
      renameSync(at('app.log'), at('app.log.1'));
      writeFileSync(at('app.log'), lines('c', 200));
    };
    now += 100;
    await tracker.scan(input, now);
    assert.equal(tracker.between, null, 'the rename ran inside the scan');
    assert.ok(a.detached, 'the scan missed a (the race was driven)');

    // a is idle past close_inactive_ms, read to its end: the poll would close it, were it gone.
    now += cfg.close_inactive_ms + 1;
    await tracker.poll(input, now);
    assert.ok(!a.finished, 'a file still matched by the globs is not closed');
    assert.ok(!a.detached);
    assert.equal(a.path, at('app.log.2'));

    now += 100;
    await tracker.scan(input, now);
    await tracker.poll(input, now);
    assert.deepEqual(byInode(at('app.log.2')).map((f) => f.key), [a.key], 'app.log.2 is followed once, under its first key');
    assert.deepEqual(tracker.states.map((f) => f.path).sort(), ['app.log', 'app.log.1', 'app.log.2'].map(at));
    assert.equal(new Set(tracker.states.map((f) => f.key)).size, 3);

    // Renamed out of the globs, it is still closed once idle.
    renameSync(at('app.log.2'), at('old.txt'));
    now += 100;
    await tracker.scan(input, now);
    assert.ok(a.detached);
    now += cfg.close_inactive_ms + 1;
    await tracker.poll(input, now);
    assert.ok(a.finished, 'a file renamed out of the globs is closed');
    assert.ok(!tracker.states.includes(a), 'and dropped, having nothing pending');
    for (const f of tracker.states) await f.fh?.close();
  });
});
