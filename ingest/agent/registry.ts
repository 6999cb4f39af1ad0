import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { ensureDir, StrataError, storageError } from '../../lib/errors.ts';

/**
 * The registry: per file the agent knows, where it is, what identifies it, and the offset up to which the node
 * has acknowledged its lines. Replaced atomically on every write (temp file, fsync, rename, fsync of the
 * directory), so that after a crash or a power loss it holds one complete past state, never a torn one; offsets
 * in it only ever trail what the node has stored, so resuming from it can repeat lines but never skip one.
 * The layout is described in format.md.
 */

export const REGISTRY_FILE = 'registry.ndjson';
const LOCK_FILE = 'agent.lock';
const MAGIC = 'STRATA-AGENT-REGISTRY';
const VERSION = 1;

export interface RegistryEntry {
  /** The file's name in record ids; stays with the file through renames. */
  key: string;
  path: string;
  /** Device and inode as decimal strings (inodes can exceed 2^53). */
  dev: string;
  ino: string;
  /** The fingerprint: SHA-256 (hex, first 16 bytes) of the file's first `fpLen` bytes. */
  fpLen: number;
  fpHash: string;
  /** Bytes from the start of the file up to the end of the last acknowledged line. */
  offset: number;
  /** When the agent last saw the file (epoch ms). */
  seenMs: number;
}

const checksum = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 16);

export function encodeRegistry(entries: RegistryEntry[]): string {
  let body = '';
  for (const e of entries) {
    body += JSON.stringify({ key: e.key, path: e.path, dev: e.dev, ino: e.ino, fp_len: e.fpLen, fp_hash: e.fpHash, offset: e.offset, seen_ms: e.seenMs }) + '\n';
  }
  return `${MAGIC} ${VERSION} ${checksum(body)}\n${body}`;
}

export function decodeRegistry(text: string, path: string): RegistryEntry[] {
  const moveAway = `Move it away to start over (every file is then read again from its start, and the node drops what it already has by id), or restore it from a backup.`;
  const nl = text.indexOf('\n');
  const header = (nl < 0 ? text : text.slice(0, nl)).split(' ');
  if (header[0] !== MAGIC || header.length !== 3) throw new StrataError('storage_corrupt', `${path} is not a Strata agent registry. ${moveAway}`, { path });
  const version = Number(header[1]);
  if (version !== VERSION) {
    throw new StrataError('storage_corrupt', `${path} is registry version ${header[1]}, this agent reads version ${VERSION}: run the agent that wrote it, or ${moveAway[0].toLowerCase()}${moveAway.slice(1)}`, { path });
  }
  const body = text.slice(nl + 1);
  if (checksum(body) !== header[2]) throw new StrataError('storage_corrupt', `${path} is damaged (its checksum does not match). ${moveAway}`, { path });
  const out: RegistryEntry[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    out.push({ key: String(o.key), path: String(o.path), dev: String(o.dev), ino: String(o.ino), fpLen: Number(o.fp_len), fpHash: String(o.fp_hash), offset: Number(o.offset), seenMs: Number(o.seen_ms) });
  }
  return out;
}

/** Reads the registry in `dir`; none yet (a first start) is an empty one. */
export function loadRegistry(dir: string): RegistryEntry[] {
  const path = join(dir, REGISTRY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storageError(e, 'read the agent registry', path);
  }
  return decodeRegistry(text, path);
}

export function saveRegistry(dir: string, entries: RegistryEntry[]): void {
  writeFileDurable(join(dir, REGISTRY_FILE), encodeRegistry(entries), 'the agent registry');
}

/**
 * Takes the registry directory for this process. Two agents sharing one registry would each overwrite the other's
 * offsets; the lock names the owner's pid, and a lock left by a process that no longer runs (after `kill -9`) is
 * taken over.
 */
export function lockRegistry(dir: string): () => void {
  ensureDir(dir, mkdirSync);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(e, 'lock the agent registry', path);
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new StrataError('conflict', `another agent (pid ${owner}) uses the registry ${dir}: stop it, or give this agent a registry directory of its own`, { path, pid: owner });
      }
      unlinkSync(path);
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return () => {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    };
  }
  throw new StrataError('conflict', `could not lock the registry ${dir}: another agent is starting on it`, { path });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
