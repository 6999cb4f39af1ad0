import { existsSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, storageError } from '../../lib/errors.ts';
import { fsyncDir } from '../log/file.ts';

/**
 * The shard's list of live segments and the offset below which every record is in one of them. It is the commit
 * point of seals, merges and retention: written to a temp file, fsynced, renamed over, and the directory fsynced.
 */
export interface Manifest {
  version: 1;
  sealedUpTo: number;
  nextSegmentId: number;
  segments: string[];
}

const NAME = 'manifest.json';

export function readManifest(dir: string): Manifest {
  const p = join(dir, NAME);
  if (!existsSync(p)) return { version: 1, sealedUpTo: 0, nextSegmentId: 1, segments: [] };
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
    if (m.version !== 1) throw new Error(`unsupported manifest version ${m.version}`);
    return m;
  } catch (e) {
    throw new StrataError('storage_corrupt', `shard manifest ${p} is unreadable: ${(e as Error).message}`, { path: p });
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  const p = join(dir, NAME);
  const tmp = p + '.tmp';
  try {
    writeFileSync(tmp, JSON.stringify(m));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, p);
    fsyncDir(dir);
  } catch (e) {
    throw storageError(e, 'write manifest', p);
  }
}
