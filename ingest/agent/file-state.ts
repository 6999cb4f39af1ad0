import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Span } from './batch.ts';
import type { Source } from './emit.ts';
import type { Joiner } from './multiline.ts';
import type { RegistryEntry } from './registry.ts';

/**
 * One file the agent follows, by identity rather than by name: device and inode, confirmed by a fingerprint (a
 * hash of the first bytes). The inode alone is not enough: a deleted file's inode is soon reused by the next file
 * created, and a copytruncate keeps the inode while replacing the content. A file that changes identity in place
 * (truncated, or its first bytes rewritten) gets a new FileState with a new key; the old one finishes with what
 * it had.
 *
 * The key names the file in record ids (`<key>-<byte offset>`): random, recorded in the registry before any of the
 * file's records are sent, and kept through renames, so that a resent line carries the same id and the node can
 * drop it, while two files (or two generations of one inode) never share an id.
 */

/** Settings of the input a file was found by, with its record tail's constant part precomputed. */
export interface InputContext {
  index: number;
  excluded: (name: string) => boolean;
  /** `,"k":v` for each configured field. */
  fieldsJson: string;
}

export const newFileKey = (): string => randomBytes(8).toString('hex');

export const fingerprintOf = (head: Uint8Array, len: number): string => createHash('sha256').update(head.subarray(0, len)).digest('hex').slice(0, 32);

export function fpMatches(head: Buffer, e: { fpLen: number; fpHash: string }): boolean {
  return head.length >= e.fpLen && fingerprintOf(head, e.fpLen) === e.fpHash;
}

/** Up to `n` bytes from the start of a file (fewer if it is shorter). */
export async function readHead(fh: FileHandle, n: number): Promise<Buffer> {
  const into = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(into, got, n - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return into.subarray(0, got);
}

export class FileState implements Source {
  idPrefix!: Buffer;
  tail!: Buffer;
  pending: Span[] = [];
  /** Whether the registry on disk names this key (required before its first record leaves). */
  persisted: boolean;
  /** Next byte to read: the end of the last line handed on, or of bytes skipped in an over-long line. */
  readOffset: number;
  /** The end of the bytes the file is known to have (its size at the last read or stat). */
  size = 0;
  lastGrowthMs: number;
  /** The last read ended at the end of the file. */
  atEof = false;
  /** Whether a read may find something: set by the poll, cleared at the end of the file. */
  readable = true;
  /** Inside a line longer than `max_line_bytes`: its first part was shipped, the rest is skipped up to its end. */
  skipping = false;
  /** Ship a last line that has no newline at the next read (the file is done, or idle past the timeout). */
  flushPartial = false;
  /** The file's name no longer leads to it (renamed away, deleted): read to the end, then closed. */
  detached = false;
  /** The path this file had before a rename, until it has been read to its end since. */
  movedFrom: string | null = null;
  /** Reading waits until this file, which had our path before us, has been read to its end. */
  waitFor: FileState | null = null;
  /** No more reading (closed, or its content is gone); dropped once its pending runs are acknowledged. */
  finished = false;
  linesRead = 0;
  bytesSkipped = 0;
  /** The last read found nothing more to read but maybe a partial last line (a pending multiline record may go). */
  drained = false;
  /** The multiline record being joined (inputs with `multiline` only; made at the first line). */
  joiner: Joiner | null = null;

  constructor(
    readonly key: string,
    public path: string,
    public dev: string,
    public ino: string,
    public fpLen: number,
    public fpHash: string,
    /** End of the last acknowledged line. */
    public committed: number,
    public fh: FileHandle | null,
    public input: InputContext,
    public seenMs: number,
    persisted: boolean,
  ) {
    this.readOffset = committed;
    this.size = committed;
    this.lastGrowthMs = seenMs;
    this.persisted = persisted;
  }

  get inode(): string {
    return `${this.dev}:${this.ino}`;
  }

  /** Precomputes the bytes around each of this file's lines; again whenever its path changes. */
  encode(indexJson: string, hostJson: string): void {
    this.idPrefix = Buffer.from(`{"create":{"_index":${indexJson},"_id":"${this.key}-`);
    this.tail = Buffer.from(`","log.file.path":${JSON.stringify(this.path)},"host.name":${hostJson}${this.input.fieldsJson}}\n`);
  }

  /** Whether reading may go on now (an earlier file at our path goes first). */
  get waiting(): boolean {
    const w = this.waitFor;
    if (w === null) return false;
    if (w.finished || w.movedFrom === null) {
      this.waitFor = null;
      return false;
    }
    return true;
  }

  /** Moves `committed` over the runs acknowledged in order; answers the bytes it moved over. */
  advance(): number {
    const before = this.committed;
    while (this.pending.length > 0 && this.pending[0].acked) this.committed = this.pending.shift()!.end;
    return this.committed - before;
  }

  /**
   * Whether the file still starts with the bytes it was identified by; grows the fingerprint up to `fpBytes` on
   * the way. Answers 'same', 'grown' (the fingerprint got longer: the registry should know) or 'replaced'.
   */
  async verifyHead(fpBytes: number): Promise<'same' | 'grown' | 'replaced'> {
    // A buffer of its own per check (a KiB): a shared one would be overwritten by another agent's check while
    // this one awaits its read.
    const head = await readHead(this.fh!, Math.max(this.fpLen, fpBytes));
    if (!fpMatches(head, this)) return 'replaced';
    if (this.fpLen >= fpBytes || head.length <= this.fpLen) return 'same';
    this.fpLen = head.length;
    this.fpHash = fingerprintOf(head, head.length);
    return 'grown';
  }

  entry(): RegistryEntry {
    return { key: this.key, path: this.path, dev: this.dev, ino: this.ino, fpLen: this.fpLen, fpHash: this.fpHash, offset: this.committed, seenMs: this.seenMs };
  }
}
