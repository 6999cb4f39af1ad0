import type { MultilineConfig } from './config.ts';

/**
 * Multiline: lines joined into one record (a stack trace and its `Caused by:` chain), by one of two rules:
 * - `start: REGEX`: a line the pattern matches begins a record; any other line joins the record before it.
 * - `mode: indent`: a line that begins with a space or a tab, or with `Caused by:` or `... N more`, joins the
 *   record before it; any other line begins one (Java, Python and most runtimes print traces this way).
 * Joined lines are separated by `\n`. A record is shipped when the next record begins, when it reaches
 * `max_lines` or `max_bytes` (the line that would pass the cap begins a new record: nothing is thrown away), or
 * when `timeout_ms` passes with no line added while its file has nothing more to read.
 *
 * At least once holds through it because a record is one unit for the registry: its id is the byte offset of its
 * first line and the offset committed once it is acknowledged is the end of its last line. A record still being
 * joined is not shipped, so the committed offset stays before its first line, and a restart reads it again whole.
 *
 * The start pattern is tested on a line's first `MAX_TESTED_BYTES` only: a record's first line is told by how it
 * begins, and a pattern that backtracks (`\s+$` tries every position to the line's end: quadratic) must not get
 * a megabyte line to chew on. The cap bounds such polynomial cases (milliseconds, not minutes); it cannot save a
 * pattern that is exponential on short input (`(a+)+$`): keep start patterns anchored and simple (`^\d{4}-`).
 */

/** Bytes of a line a start pattern sees. */
export const MAX_TESTED_BYTES = 4096;

export interface MultilineSettings {
  /** null: the indent rule. */
  start: RegExp | null;
  maxLines: number;
  maxBytes: number;
  timeoutMs: number;
}

/** Takes a finished record: `buf[start, stop)`, first line at `offset`, committing up to `end` once acknowledged. */
export type RecordOut = (buf: Buffer, start: number, stop: number, offset: number, end: number) => void;

const SPACE = 0x20;
const TAB = 0x09;
const CAUSED_BY = Buffer.from('Caused by:');
const DOTS = Buffer.from('... ');
/** What a joined record's buffer shrinks back to after a record larger than it was shipped. */
const KEEP_BYTES = 64 * 1024;

export function multilineSettings(c: MultilineConfig): MultilineSettings {
  return { start: c.start === undefined ? null : new RegExp(c.start), maxLines: c.max_lines, maxBytes: c.max_bytes, timeoutMs: c.timeout_ms };
}

/** Whether the line `buf[start, stop)` begins a record. */
export function beginsRecord(s: MultilineSettings, buf: Buffer, start: number, stop: number): boolean {
  if (s.start !== null) return s.start.test(buf.toString('utf8', start, Math.min(stop, start + MAX_TESTED_BYTES)));
  if (stop === start) return true;
  const c = buf[start];
  if (c === SPACE || c === TAB) return false;
  if (startsWith(buf, start, stop, CAUSED_BY)) return false;
  return !isMoreLine(buf, start, stop);
}

function startsWith(buf: Buffer, start: number, stop: number, prefix: Buffer): boolean {
  return stop - start >= prefix.length && buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}

/** `... 12 more` (JVM traces elide frames shared with the enclosing trace this way). */
function isMoreLine(buf: Buffer, start: number, stop: number): boolean {
  if (!startsWith(buf, start, stop, DOTS)) return false;
  let i = start + DOTS.length;
  const digits = i;
  while (i < stop && buf[i] >= 0x30 && buf[i] <= 0x39) i++;
  return i > digits && buf.toString('latin1', i, stop).startsWith(' more');
}

/** The record being joined, for one file (or stdin). Holds a copy of its lines: the read buffer is reused. */
export class Joiner {
  private buf: Buffer = Buffer.allocUnsafe(0);
  private len = 0;
  private lines = 0;
  private offset = 0;
  private end = 0;
  /** When the last line was added (epoch ms). */
  lastMs = 0;
  constructor(
    readonly s: MultilineSettings,
    /** Counts the bytes of lines cut off at `max_bytes`. */
    private readonly counts: { multilineBytesCut: number },
    /** Takes each finished record (one function per joiner, not one per line). */
    private readonly out: RecordOut,
  ) {}

  /** Whether a record is being joined (lines read, not yet shipped). */
  get pending(): boolean {
    return this.lines > 0;
  }

  /** When a pending record is due on time alone. */
  get dueMs(): number {
    return this.lastMs + this.s.timeoutMs;
  }

  /**
   * Adds the line `src[start, stop)` at file offset `offset`; `end` is where its file may commit once it is
   * acknowledged (a line cut at `max_line_bytes` has `end === offset`: its rest is not read yet). A record the
   * line completes goes out first.
   */
  push(src: Buffer, start: number, stop: number, offset: number, end: number, nowMs: number): void {
    const n = stop - start;
    if (this.lines > 0 && (beginsRecord(this.s, src, start, stop) || this.lines >= this.s.maxLines || this.len + 1 + n > this.s.maxBytes)) this.flush();
    if (this.lines === 0) this.offset = offset;
    this.append(src, start, stop, this.lines > 0);
    this.lines++;
    // A cut line commits no further than the start of its record: a restart then cuts the same record again.
    this.end = end === offset ? this.offset : end;
    this.lastMs = nowMs;
  }

  /** Ships the pending record, if any. */
  flush(): void {
    if (this.lines === 0) return;
    const len = this.len;
    this.lines = 0;
    this.len = 0;
    this.out(this.buf, 0, len, this.offset, this.end);
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafe(KEEP_BYTES);
  }

  /** Copies a line in, after a `\n` when it continues the record; cut to what `max_bytes` leaves room for. */
  private append(src: Buffer, start: number, stop: number, continues: boolean): void {
    const sep = continues ? 1 : 0;
    const room = this.s.maxBytes - this.len - sep;
    if (stop - start > room) {
      this.counts.multilineBytesCut += stop - start - room;
      stop = start + room;
    }
    const need = this.len + sep + (stop - start);
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.s.maxBytes, Math.max(need, this.buf.length * 2, 1024)));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    if (continues) this.buf[this.len++] = 0x0a;
    this.len += src.copy(this.buf, this.len, start, stop);
  }
}
