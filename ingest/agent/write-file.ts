import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from '../../lib/durable-file.ts';
import { storageError } from '../../lib/errors.ts';

/**
 * Replaces a file whole with the given permission bits: a temp file created with them (set again with fchmod,
 * since the umask may have taken some away), fsynced, renamed over the target, and the directory fsynced. A
 * config holding credentials is never visible, even for an instant, with wider permissions or half written.
 */
export function writeFileAtomic(path: string, text: string, mode: number, what: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      fchmodSync(fd, mode);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Not created, or already renamed: nothing to clean.
    }
    throw storageError(e, `write ${what}`, path);
  }
}
