import type { FileState } from './file-state.ts';

/**
 * Reads a file a chunk at a time and hands on its complete lines. Nothing of a file is held between reads: a
 * line cut by the end of a chunk (or not yet finished by its writer) is simply read again, from its start, by the
 * next read. That keeps per-file memory at zero, makes the offset of every line exact, and lets the reader stop
 * after any line (when memory is full) and resume there.
 *
 * Lines end at `\n`; a `\r` before it is dropped (CRLF files). A line longer than `max_line_bytes` is cut: its
 * first `max_line_bytes` are shipped and the rest skipped up to its newline (the skipped bytes are counted).
 */

export interface LineSink {
  /**
   * Takes `buf[start, stop)`, the line at file offset `offset`; `end` is the offset the file may commit once it
   * is acknowledged. Answers false when no more lines may be taken now (the memory budget is spent).
   */
  line(f: FileState, buf: Buffer, start: number, stop: number, offset: number, end: number): boolean;
}

/** 'replaced': the file no longer starts with its fingerprint; nothing of this read was handed on. */
export type ReadResult = 'more' | 'eof' | 'full' | 'replaced';

/** One read buffer shared by every file: reads are sequential, and lines are copied out before the next one. */
export class ReadBuffer {
  buf: Buffer;
  constructor(
    readonly initialBytes: number,
    /** Grown up to this when a line does not fit (max_line_bytes + 1, to see the newline after a maximal line). */
    readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  grow(): boolean {
    if (this.buf.length >= this.maxBytes) return false;
    this.buf = Buffer.allocUnsafe(Math.min(this.maxBytes, this.buf.length * 2));
    return true;
  }
}

export interface ReadSettings {
  maxLineBytes: number;
  fingerprintBytes: number;
  /** 0: never ship a partial last line on time alone. */
  partialLineTimeoutMs: number;
}

const NL = 0x0a;
const CR = 0x0d;

export async function readChunk(f: FileState, rb: ReadBuffer, sink: LineSink, s: ReadSettings, nowMs: number): Promise<ReadResult> {
  const buf = rb.buf;
  const base = f.readOffset;
  const { bytesRead: n } = await f.fh!.read(buf, 0, buf.length, base);
  // Checked after the read, so that what was read is known to be this file's: a copytruncate followed by a writer
  // outgrowing our offset leaves the size plausible, and only the first bytes tell the content is new.
  if (n > 0 && (await f.verifyHead(s.fingerprintBytes)) === 'replaced') return 'replaced';
  const dataEnd = base + n;
  if (dataEnd > f.size) {
    f.size = dataEnd;
    f.lastGrowthMs = nowMs;
  }
  const full = n === buf.length;
  f.atEof = !full;
  if (n === 0) return 'eof';
  const view = full ? buf : buf.subarray(0, n);
  let pos = 0;
  if (f.skipping) {
    const nl = view.indexOf(NL);
    if (nl < 0) {
      f.bytesSkipped += n;
      f.readOffset = dataEnd;
      return full ? 'more' : 'eof';
    }
    f.bytesSkipped += nl > 0 && view[nl - 1] === CR ? nl - 1 : nl;
    f.skipping = false;
    pos = nl + 1;
    f.readOffset = base + pos;
  }
  const max = s.maxLineBytes;
  while (pos < n) {
    const nl = view.indexOf(NL, pos);
    if (nl < 0) break;
    let stop = nl > pos && view[nl - 1] === CR ? nl - 1 : nl;
    if (stop - pos > max) {
      f.bytesSkipped += stop - pos - max;
      stop = pos + max;
    }
    const more = sink.line(f, view, pos, stop, base + pos, base + nl + 1);
    f.linesRead++;
    pos = nl + 1;
    f.readOffset = base + pos;
    if (!more) return 'full';
  }
  if (pos === n) return full ? 'more' : 'eof';
  // What is left has no newline yet.
  if (full) {
    if (pos > 0) return 'more';
    if (rb.grow()) return 'more';
    // A line longer than the largest buffer: ship its start and skip the rest. Until its end is read, the file
    // commits no further than the line's start, so a restart cuts the same line again (same id) rather than
    // shipping its middle as a line of its own.
    sink.line(f, view, 0, max, base, base);
    f.linesRead++;
    f.bytesSkipped += n - max;
    f.skipping = true;
    f.readOffset = dataEnd;
    return 'more';
  }
  if (f.flushPartial || (s.partialLineTimeoutMs > 0 && nowMs - f.lastGrowthMs >= s.partialLineTimeoutMs)) {
    const stop = Math.min(n, pos + max);
    f.bytesSkipped += n - stop;
    sink.line(f, view, pos, stop, base + pos, dataEnd);
    f.linesRead++;
    f.readOffset = dataEnd;
  }
  return 'eof';
}
