import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { storageError } from './errors.ts';

/** fsyncs a directory, so that a file created, renamed or deleted in it survives a power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a small file so that after a crash it holds either the old or the new text, never a torn mix: written
 * to a temp file, fsynced, renamed over the old one, and the directory fsynced. With `mode`, the temp file is
 * created with those permission bits (set again with fchmod, since the umask may have taken some away), so a file
 * holding credentials is never visible, even for an instant, with wider ones.
 */
export function writeFileDurable(path: string, text: string, what: string, opts: { mode?: number } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', opts.mode ?? 0o666);
    try {
      if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
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
