import type { Readable } from 'node:stream';
import type { Emitter, RecordPipeline } from '../emit.ts';
import { Joiner, type MultilineSettings } from '../multiline.ts';
import type { StreamHooks } from './hooks.ts';
import { StreamSource } from './stream-source.ts';

/**
 * The `stdin` input: the agent's standard input, line by line, until it ends (`cat app.log | strata agent`).
 * Lines end at `\n` (a `\r` before it is dropped); a last line without one is shipped at the end. A line longer
 * than `max_line_bytes` is cut there and the rest skipped to its newline. At the memory bound the stream is
 * paused, which blocks the writer on the other side of the pipe: nothing is dropped.
 *
 * No registry: a pipe cannot be read again, so what was read and not yet acknowledged when the agent is killed
 * is lost with it; on SIGTERM the batches in flight get `shutdown_timeout_ms` to be acknowledged.
 */
export class StdinInput {
  readonly source: StreamSource;
  /** The start of a line not ended yet, from earlier chunks. */
  private carry: Buffer | null = null;
  /** Stream offset of `carry`'s first byte (or of the next chunk's, without one). */
  private offset = 0;
  /** Inside a line longer than `max_line_bytes`: its start was shipped, the rest is skipped to its newline. */
  private skipping = false;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly joiner: Joiner | null;
  private readonly ts = Buffer.alloc(24);
  private nowMs = 0;
  /** The stream ended, and every line of it was handed on. */
  ended = false;

  constructor(
    private readonly stream: Readable,
    private readonly maxLineBytes: number,
    private readonly pipe: RecordPipeline,
    multiline: MultilineSettings | null,
    private readonly emitter: Emitter,
    private readonly hooks: StreamHooks,
    fieldsJson: string,
  ) {
    this.source = new StreamSource('stdin', fieldsJson);
    const out = (b: Buffer, s: number, e: number, o: number, end: number) => this.hooks.add(this.emitter.bytes(this.source, this.pipe, b, s, e, o, end, this.ts));
    this.joiner = multiline === null ? null : new Joiner(multiline, emitter.counters, out);
  }

  start(): void {
    this.stream.on('data', (c: Buffer | string) => this.chunk(typeof c === 'string' ? Buffer.from(c) : c));
    this.stream.once('end', () => this.end());
    this.stream.once('error', (e: Error) => {
      this.hooks.log(`stdin: ${e.message}; taken as its end`);
      this.end();
    });
  }

  /** Every line read is acknowledged (or was dropped), and the stream has ended. */
  get finished(): boolean {
    return this.ended && this.source.pending.length === 0;
  }

  /** Called when memory was freed. */
  resume(): void {
    if (!this.paused || this.hooks.full()) return;
    this.paused = false;
    this.stream.resume();
    this.armTimer();
  }

  close(): void {
    this.stream.pause();
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private chunk(c: Buffer): void {
    if (this.ended) return;
    this.stamp();
    const data = this.carry === null ? c : Buffer.concat([this.carry, c]);
    this.carry = null;
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, pos);
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      else this.line(data, pos, nl > pos && data[nl - 1] === 0x0d ? nl - 1 : nl, nl + 1);
      pos = nl + 1;
    }
    const rest = data.length - pos;
    if (this.skipping) pos = data.length;
    else if (rest > this.maxLineBytes) {
      this.line(data, pos, pos + rest, pos + rest);
      this.skipping = true;
      pos = data.length;
    } else if (rest > 0) this.carry = data.subarray(pos);
    this.offset += pos;
    if (this.hooks.full()) {
      this.paused = true;
      this.stream.pause();
    }
    this.armTimer();
    this.hooks.wake();
  }

  /** Hands on `data[start, stop)`, the line at `offset + start`; its input is handled up to `offset + end`. */
  private line(data: Buffer, start: number, stop: number, end: number): void {
    this.emitter.counters.linesRead++;
    const cut = Math.min(stop, start + this.maxLineBytes);
    const at = this.offset + start;
    if (this.joiner !== null) this.joiner.push(data, start, cut, at, this.offset + end, this.nowMs);
    else this.hooks.add(this.emitter.bytes(this.source, this.pipe, data, start, cut, at, this.offset + end, this.ts));
  }

  private end(): void {
    if (this.ended) return;
    this.stamp();
    if (this.carry !== null) {
      const last = this.carry;
      this.carry = null;
      this.line(last, 0, last.length, last.length);
      this.offset += last.length;
    }
    this.joiner?.flush();
    if (this.timer !== null) clearTimeout(this.timer);
    this.ended = true;
    this.hooks.wake();
  }

  /** A multiline record waiting for its next line is shipped after `timeout_ms` without one (not while paused). */
  private armTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const j = this.joiner;
    if (j === null || !j.pending || this.paused) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.paused || this.ended) return;
      this.stamp();
      j.flush();
      this.hooks.wake();
    }, Math.max(1, j.dueMs - Date.now()));
  }

  private stamp(): void {
    this.nowMs = Date.now();
    this.ts.write(new Date(this.nowMs).toISOString(), 0, 'latin1');
  }
}
