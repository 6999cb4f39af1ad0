import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { join } from 'node:path';
import { StrataError } from '../../lib/errors.ts';

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
  writeFileDurable(join(dir, NAME), JSON.stringify(m), 'manifest');
}
