import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../../lib/errors.ts';
import { AppendLog } from './append-log.ts';
import { type AppendFile, type FileSystem, realFileSystem } from './file.ts';

/** Real files, except that while `full` is set a write puts down half its bytes and then fails with ENOSPC. */
function fillableFs(): { fs: FileSystem; setFull(v: boolean): void } {
  let full = false;
  const fs: FileSystem = {
    async openAppend(path) {
      const f = await realFileSystem.openAppend(path);
      const wrapped: AppendFile = {
        path: f.path,
        get size() {
          return f.size;
        },
        set size(v) {
          f.size = v;
        },
        async append(chunks) {
          if (full) {
            const all = Buffer.concat(chunks);
            await f.append([all.subarray(0, all.length >> 1)]);
            const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
            e.code = 'ENOSPC';
            const { storageError } = await import('../../lib/errors.ts');
            throw storageError(e, 'append to', f.path);
          }
          return f.append(chunks);
        },
        sync: () => f.sync(),
        close: () => f.close(),
      };
      return wrapped;
    },
    truncate: realFileSystem.truncate,
  };
  return { fs, setFull: (v) => (full = v) };
}

test('a full disk fails the write with a clear error, leaves no torn frame, and the log carries on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-diskfull-'));
  try {
    const { fs, setFull } = fillableFs();
    const log = await AppendLog.open({ dir, durability: { mode: 'batch' }, maxFileBytes: 1 << 20, fs }, 0, () => {});
    assert.equal(await log.append([{ ts: 1, fieldsJson: '{"message":"before"}' }]), 0);
    const file = join(dir, readdirSync(dir)[0]);
    const sizeBefore = statSync(file).size;

    setFull(true);
    await assert.rejects(log.append([{ ts: 2, fieldsJson: '{"message":"lost"}' }]), (e: unknown) => {
      assert.ok(e instanceof StrataError);
      assert.equal(e.code, 'storage_full');
      assert.equal(e.httpStatus, 507);
      assert.match(e.message, /disk full/);
      return true;
    });
    assert.equal(statSync(file).size, sizeBefore, 'the half-written frame is cut off');

    setFull(false);
    // The failed batch's offset is given back, so offsets stay contiguous.
    assert.equal(await log.append([{ ts: 3, fieldsJson: '{"message":"after"}' }]), 1);
    await log.close();

    const seen: string[] = [];
    const again = await AppendLog.open({ dir, durability: { mode: 'batch' }, maxFileBytes: 1 << 20 }, 0, (off, _ts, json) => seen.push(`${off}:${json}`));
    assert.deepEqual(seen, ['0:{"message":"before"}', '1:{"message":"after"}']);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a data directory that cannot be created is a clear storage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-unwritable-'));
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    await assert.rejects(
      AppendLog.open({ dir: join(dir, 'not-a-dir', 'log'), durability: { mode: 'batch' }, maxFileBytes: 1 << 20 }, 0, () => {}),
      (e: unknown) => e instanceof StrataError && /cannot create|not a directory/i.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a roll whose new file cannot be made leaves the log able to write again and to close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rollfail-'));
  try {
    let failOpen = false;
    const fs: FileSystem = {
      async openAppend(path) {
        if (failOpen) throw new Error(`EACCES: permission denied, open '${path}'`);
        return realFileSystem.openAppend(path);
      },
      truncate: realFileSystem.truncate,
    };
    const opts = { dir, durability: { mode: 'batch' as const }, maxFileBytes: 1 << 20, fs };
    let log = await AppendLog.open(opts, 0, () => {});
    assert.equal(await log.append([{ ts: 1, fieldsJson: '{"message":"one"}' }]), 0);
    // Everything is sealed: the release rolls to a fresh file, which cannot be made.
    failOpen = true;
    await assert.rejects(log.releaseBefore(1), /EACCES/);
    await assert.rejects(log.append([{ ts: 2, fieldsJson: '{"message":"refused"}' }]), /EACCES/);
    failOpen = false;
    assert.equal(await log.append([{ ts: 3, fieldsJson: '{"message":"three"}' }]), 1, 'the next write rolls and is stored');
    await log.close();

    // Closing right after a failed roll has no open file to sync: it resolves instead of failing on a closed file.
    const replayed: string[] = [];
    log = await AppendLog.open(opts, 0, (_o, _t, json) => replayed.push(json));
    assert.deepEqual(replayed, ['{"message":"one"}', '{"message":"three"}']);
    failOpen = true;
    await assert.rejects(log.releaseBefore(2), /EACCES/);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
