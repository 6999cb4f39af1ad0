import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
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
 * to a temp file, fsynced, renamed over the old one, and the directory fsynced.
 */
export function writeFileDurable(path: string, text: string, what: string): void {
  const tmp = path + '.tmp';
  try {
    writeFileSync(tmp, text);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    throw storageError(e, `write ${what}`, path);
  }
}
