import { readdirSync, readFileSync, renameSync, unlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StrataError, ensureDir } from '../../lib/errors.ts';
import { type AppendFile, type FileSystem, fsyncDir, realFileSystem } from './file.ts';
import {
  decodeFileHeader,
  decodePayload,
  encodeFileHeader,
  encodeFrameHeader,
  encodePayload,
  FILE_HEADER_BYTES,
  type LogEntry,
  readFrame,
} from './frame.ts';

export type Durability = { mode: 'batch' } | { mode: 'interval'; intervalMs: number };

export interface AppendLogOptions {
  dir: string;
  durability: Durability;
  /** Roll to a new file once the current one reaches this size. */
  maxFileBytes: number;
  fs?: FileSystem;
  warn?: (msg: string) => void;
}

interface Pending {
  chunks: Buffer[];
  baseOffset: number;
  count: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface FileInfo {
  path: string;
  baseOffset: number;
}

const FILE_RE = /^(\d{20})\.wal$/;
const fileName = (baseOffset: number) => String(baseOffset).padStart(20, '0') + '.wal';

/**
 * A shard's append-only log of sequential files. Concurrent appends are grouped: while one write+fsync is in
 * flight, later batches queue, and the next write takes all of them at once (group commit). A batch's promise
 * resolves only once its bytes are durable under the configured policy.
 */
export class AppendLog {
  private file!: AppendFile;
  private files: FileInfo[] = [];
  private queue: Pending[] = [];
  private writing = false;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Set when a failed write could not be undone: every later append fails until the log is reopened. */
  private failure: StrataError | null = null;
  private fs: FileSystem;
  /** Set by the first close(); later calls wait for the same one. */
  private closing: Promise<void> | null = null;
  /** False once `file` is closed and until a roll has opened the next one. */
  private fileOpen = true;
  /** Offset the next appended record gets. */
  nextOffset = 0;
  /** Highest offset known durable + 1. */
  durableOffset = 0;

  private constructor(private opts: AppendLogOptions) {
    this.fs = opts.fs ?? realFileSystem;
  }

  /**
   * Opens the log, replaying every record with offset >= `fromOffset` through `onRecord`. A torn or corrupt tail
   * is truncated and reported through `warn`; it is never fatal.
   */
  static async open(
    opts: AppendLogOptions,
    fromOffset: number,
    onRecord: (offset: number, ts: number, fieldsJson: string) => void,
  ): Promise<AppendLog> {
    const log = new AppendLog(opts);
    await log.recover(fromOffset, onRecord);
    if (opts.durability.mode === 'interval') {
      log.timer = setInterval(() => void log.syncIfDirty(), opts.durability.intervalMs);
      log.timer.unref();
    }
    return log;
  }

  private async recover(fromOffset: number, onRecord: (offset: number, ts: number, fieldsJson: string) => void): Promise<void> {
    const { dir } = this.opts;
    const warn = this.opts.warn ?? (() => {});
    ensureDir(dir, mkdirSync);
    const names = readdirSync(dir).filter((n) => FILE_RE.test(n)).sort();
    let next = fromOffset;
    for (let i = 0; i < names.length; i++) {
      const path = join(dir, names[i]);
      const buf = readFileSync(path);
      let base: number;
      try {
        base = decodeFileHeader(buf);
        // The header has no checksum of its own; its name repeats the base offset, so a header torn and then
        // filled with garbage cannot pass for a real one.
        const named = Number(FILE_RE.exec(names[i])![1]);
        if (base !== named) throw new Error(`header base offset ${base} does not match the file name`);
      } catch (e) {
        if (i === names.length - 1) {
          // The newest file's header is fsynced before any frame is written to it: a bad one means the file was
          // created just before a crash and holds nothing acknowledged.
          warn(`log ${path}: ${(e as Error).message}; removing it`);
          unlinkSync(path);
        } else {
          // An older file with a bad header is damage, not a crash: keep its bytes for a human to look at.
          warn(`log ${path}: ${(e as Error).message}; moving it aside as ${path}.corrupt`);
          renameSync(path, path + '.corrupt');
        }
        fsyncDir(dir);
        continue;
      }
      this.files.push({ path, baseOffset: base });
      let pos = FILE_HEADER_BYTES;
      for (;;) {
        const r = readFrame(buf, pos);
        if (r.ok === 'end') break;
        if (r.ok === false) {
          warn(`log ${path}: ${r.reason}; truncating ${buf.length - pos} bytes`);
          await this.fs.truncate(path, pos);
          break;
        }
        const { frame } = r;
        if (frame.baseOffset + frame.count > fromOffset) {
          decodePayload(frame.payload, (j, ts, json) => {
            const off = frame.baseOffset + j;
            if (off >= fromOffset) onRecord(off, ts, json);
          });
        }
        next = Math.max(next, frame.baseOffset + frame.count);
        pos = frame.end;
      }
      if (pos === FILE_HEADER_BYTES) next = Math.max(next, base);
    }
    this.nextOffset = next;
    this.durableOffset = next;
    const last = this.files[this.files.length - 1];
    if (last) this.file = await this.fs.openAppend(last.path);
    else await this.startFile(next);
  }

  private async startFile(baseOffset: number): Promise<void> {
    const path = join(this.opts.dir, fileName(baseOffset));
    const f = await this.fs.openAppend(path);
    if (f.size === 0) {
      await f.append([encodeFileHeader(baseOffset)]);
      await f.sync();
    }
    this.file = f;
    this.files.push({ path, baseOffset });
  }

  /** Appends a batch; resolves with its first offset once durable. */
  append(entries: readonly LogEntry[]): Promise<number> {
    return this.appendEncoded(encodePayload(entries), entries.length);
  }

  /** Appends `count` records already encoded by `encodePayload` (the shard keeps the same bytes in its head). */
  appendEncoded(payload: Buffer, count: number): Promise<number> {
    if (this.closed) return Promise.reject(new StrataError('shutting_down', 'the log is closed'));
    if (count === 0) return Promise.resolve(this.nextOffset);
    const baseOffset = this.nextOffset;
    this.nextOffset += count;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({
        chunks: [encodeFrameHeader(baseOffset, count, payload), payload],
        baseOffset,
        count,
        resolve: () => resolve(baseOffset),
        reject,
      });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        if (this.failure) {
          for (const g of group) g.reject(this.failure);
          continue;
        }
        /** Where this group's bytes start; -1 until a roll (if any) is done. */
        let sizeBefore = -1;
        try {
          if (!this.fileOpen || this.file.size >= this.opts.maxFileBytes) await this.roll(group[0].baseOffset);
          sizeBefore = this.file.size;
          const chunks: Buffer[] = [];
          for (const g of group) chunks.push(...g.chunks);
          await this.file.append(chunks);
          if (this.opts.durability.mode === 'batch') await this.file.sync();
          else this.dirty = true;
          const last = group[group.length - 1];
          this.durableOffset = last.baseOffset + last.count;
          for (const g of group) g.resolve();
        } catch (e) {
          // Nothing of this group is acknowledged. A short write may have left whole frames of it on disk (their
          // CRCs are valid), so always cut back to where the group started, and give back the offsets so they stay
          // contiguous; batches queued behind it fail too.
          const failed = group.concat(this.queue.splice(0));
          this.nextOffset = group[0].baseOffset;
          if (sizeBefore >= 0) {
            try {
              await this.fs.truncate(this.file.path, sizeBefore);
              this.file.size = sizeBefore;
            } catch (te) {
              // Appending after frames we could not cut would give their offsets to other records on replay.
              this.failure = new StrataError(
                'storage_corrupt',
                `the log ${this.file.path} could not undo a failed write (${(te as Error).message}); ` +
                  'restart the node to recover from the last durable record',
              );
            }
          }
          for (const g of failed) g.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * Closes the active file and starts the next. When the new file cannot be made (the directory is gone, the disk is
   * full), the log is left without an open file: the next write tries the roll again, and close() has nothing to
   * sync, instead of both failing on the closed file.
   */
  private async roll(baseOffset: number): Promise<void> {
    if (this.fileOpen) {
      await this.file.sync();
      this.fileOpen = false;
      await this.file.close();
    }
    await this.startFile(baseOffset);
    this.fileOpen = true;
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || this.writing || !this.fileOpen) return;
    this.dirty = false;
    try {
      await this.file.sync();
    } catch (e) {
      this.dirty = true;
      this.opts.warn?.(`periodic fsync failed: ${(e as Error).message}`);
    }
  }

  /**
   * Deletes whole files whose records all have offsets below `offset` (they are sealed into segments). When that
   * covers everything written, the active file is rolled first, so a fully sealed log shrinks to an empty file.
   */
  async releaseBefore(offset: number): Promise<void> {
    // Once closing, the file stays as it is: a roll now would close the file that close() is syncing. What is not
    // released now is released after the next open.
    if (this.closed) return;
    if (!this.writing && this.queue.length === 0 && offset >= this.nextOffset && this.file.size > FILE_HEADER_BYTES) {
      this.writing = true; // holds appends in the queue while the file changes
      try {
        await this.roll(this.nextOffset);
      } finally {
        this.writing = false;
        void this.flush();
      }
    }
    let removed = false;
    while (this.files.length > 1 && this.files[1].baseOffset <= offset) {
      const f = this.files.shift()!;
      unlinkSync(f.path);
      removed = true;
    }
    if (removed) fsyncDir(this.opts.dir);
  }

  /** Syncs and closes the file once, however many owners ask (a second sync after the first close would fail). */
  close(): Promise<void> {
    return (this.closing ??= this.closeOnce());
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.writing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
    if (!this.fileOpen) return;
    try {
      await this.file.sync();
    } finally {
      this.fileOpen = false;
      await this.file.close();
    }
  }

  get fileCount(): number {
    return this.files.length;
  }
}
