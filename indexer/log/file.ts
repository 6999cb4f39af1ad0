import { promises as fsp } from 'node:fs';
import { fsyncDir } from '../../lib/durable-file.ts';
import { storageError } from '../../lib/errors.ts';

/**
 * The seam between the log and the disk. The real implementation appends and fsyncs; tests substitute one that
 * forgets whatever was not fsynced, because a kill -9 cannot prove durability (the page cache survives it).
 */
export interface AppendFile {
  readonly path: string;
  /** Bytes written so far (fsynced or not). */
  size: number;
  append(chunks: Buffer[]): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Opens for append, creating it (and fsyncing the directory) when absent. */
  openAppend(path: string): Promise<AppendFile>;
  /** Cuts a file to `length` bytes and fsyncs it: used to drop a torn tail. */
  truncate(path: string, length: number): Promise<void>;
}

class RealAppendFile implements AppendFile {
  constructor(readonly path: string, private fh: fsp.FileHandle, public size: number) {}
  async append(chunks: Buffer[]): Promise<void> {
    let total = 0;
    for (const c of chunks) total += c.length;
    try {
      let written = 0;
      // writev may write partially; loop until every byte is down.
      let pending = chunks;
      while (written < total) {
        const { bytesWritten } = await this.fh.writev(pending, this.size + written);
        written += bytesWritten;
        if (written < total) pending = remainder(chunks, written);
      }
    } catch (e) {
      throw storageError(e, 'append to', this.path);
    }
    this.size += total;
  }
  async sync(): Promise<void> {
    try {
      await this.fh.datasync();
    } catch (e) {
      throw storageError(e, 'fsync', this.path);
    }
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

function remainder(chunks: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

/** fsync a directory so that a file created or renamed in it survives a power loss. */
export { fsyncDir };

export const realFileSystem: FileSystem = {
  async openAppend(path: string): Promise<AppendFile> {
    let fh: fsp.FileHandle;
    let created = false;
    try {
      fh = await fsp.open(path, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(e, 'open', path);
      try {
        fh = await fsp.open(path, 'w+');
      } catch (e2) {
        throw storageError(e2, 'create', path);
      }
      created = true;
    }
    const { size } = await fh.stat();
    if (created) fsyncDir(dirOf(path));
    return new RealAppendFile(path, fh, size);
  },
  async truncate(path: string, length: number): Promise<void> {
    const fh = await fsp.open(path, 'r+');
    try {
      await fh.truncate(length);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  },
};

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
