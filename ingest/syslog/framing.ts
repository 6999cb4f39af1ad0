/**
 * Splits a syslog TCP stream into messages. Both framings of RFC 6587 are detected frame by frame, since senders
 * differ and some mix them on one connection:
 * - octet counting, `<len> <msg>` (a frame that starts with a non-zero digit, then a space and the `<` of a PRI):
 *   exactly `len` bytes follow the space;
 * - newline delimited (anything else, normally `<PRI>…`): the message runs to LF, or to NUL as some senders end
 *   frames; a CR before the LF is dropped. A line that only starts like an octet count (`2026-11-29 …`, `404 …`)
 *   is such a line: a receiver must not lose lines because they begin with digits.
 * Works on bytes so a UTF-8 sequence split across chunks decodes whole; buffers at most one frame up to
 * `maxRecordBytes` (+1 byte), never an oversize one.
 */
export interface FrameSink {
  /** One message without its framing; `bytes` is its UTF-8 size. Empty frames are not reported. */
  onMessage(text: string, bytes: number): void;
  /**
   * A frame skipped whole: `oversize` (over `maxRecordBytes`; skipped to its end) or `invalid_syntax` (an octet
   * count that is not one, or a connection closed mid-frame). `reason` says it for a person.
   */
  onReject(code: 'oversize' | 'invalid_syntax', reason: string): void;
}

const enum State {
  /** Between frames. */
  Start,
  /** In the digits of an octet count. */
  Count,
  /** After an octet count's space: a `<` confirms the count, anything else makes the frame a line. */
  CountSpace,
  /** In the `count` bytes of an octet-counted frame. */
  Octets,
  /** In an oversize octet-counted frame, `remaining` bytes to skip. */
  SkipOctets,
  /** In a newline-delimited frame. */
  Line,
  /** Discarding up to the next terminator after an oversize line or a framing error. */
  SkipLine,
}

const LF = 10;
const CR = 13;
const NUL = 0;
const SPACE = 32;
const LT = 60;
/** More digits than this is not an octet count (10 digits already pass any sane record cap). */
const MAX_COUNT_DIGITS = 10;
/** How much of a rejected frame its reason quotes. */
const HEAD_BYTES = 64;

export class SyslogFrameDecoder {
  private state = State.Start;
  /** Bytes of the current frame held from earlier chunks. */
  private parts: Buffer[] = [];
  private held = 0;
  private count = 0;
  private countDigits = 0;
  private remaining = 0;
  /** The start of an oversize octet-counted frame, for its reason, until reported. */
  private head: Buffer | null = null;
  private headLen = 0;

  constructor(
    private readonly maxRecordBytes: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    // Terminator positions are searched with indexOf (memchr) and reused until passed, so a chunk is scanned
    // once per terminator kind however many frames it holds.
    let nextLf = -1;
    let nextNul = -1;
    while (i < n) {
      switch (this.state) {
        case State.Start: {
          const b = chunk[i];
          if (b === LF || b === CR || b === NUL) {
            i++;
          } else if (b >= 48 && b <= 57) {
            this.state = State.Count;
            this.count = 0;
            this.countDigits = 0;
          } else {
            this.state = State.Line;
          }
          break;
        }
        case State.Count: {
          const b = chunk[i];
          if (b >= 48 && b <= 57 && this.countDigits < MAX_COUNT_DIGITS) {
            this.count = this.count * 10 + b - 48;
            this.countDigits++;
            i++;
            break;
          }
          if (b === SPACE && this.firstCountDigitOk()) {
            i++;
            this.state = State.CountSpace;
            break;
          }
          // Not a count: the digits begin a line. The byte that ended them is looked at again as part of it.
          this.countAsLine('');
          break;
        }
        case State.CountSpace: {
          if (chunk[i] === LT) this.startOctets();
          else this.countAsLine(' ');
          break;
        }
        case State.Octets: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          if (this.remaining > 0) {
            this.hold(chunk.subarray(i, i + take));
            i += take;
            break;
          }
          this.emitOctets(chunk, i, i + take);
          i += take;
          this.state = State.Start;
          break;
        }
        case State.SkipOctets: {
          const take = Math.min(this.remaining, n - i);
          if (this.head !== null) {
            const h = Math.min(take, this.head.length - this.headLen);
            chunk.copy(this.head, this.headLen, i, i + h);
            this.headLen += h;
            if (this.headLen === this.head.length) this.reportOversizeOctets();
          }
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.Start;
          break;
        }
        case State.Line:
        case State.SkipLine: {
          if (nextLf < i) nextLf = indexOr(chunk, LF, i, n);
          if (nextNul < i) nextNul = indexOr(chunk, NUL, i, n);
          const end = Math.min(nextLf, nextNul);
          if (this.state === State.SkipLine) {
            if (end < n) this.state = State.Start;
            i = end + 1;
            break;
          }
          if (end === n) {
            this.hold(chunk.subarray(i, n));
            i = n;
            // One byte over the cap may still be the CR of a CRLF.
            if (this.held > this.maxRecordBytes + 1) {
              this.sink.onReject('oversize', `a line has no newline within ${this.maxRecordBytes} bytes, the record size limit; starts with ${quoteHead(this.parts)}`);
              this.parts = [];
              this.held = 0;
              this.state = State.SkipLine;
            }
            break;
          }
          this.emitLine(chunk, i, end);
          i = end + 1;
          this.state = State.Start;
          break;
        }
      }
    }
  }

  /** The stream ended: a last line without its newline is a message; a partial octet-counted frame is not. */
  end(): void {
    switch (this.state) {
      case State.Line:
        if (this.held > 0) this.emitLine(Buffer.alloc(0), 0, 0);
        break;
      case State.Count:
      case State.CountSpace:
        this.countAsLine(this.state === State.CountSpace ? ' ' : '');
        this.emitLine(Buffer.alloc(0), 0, 0);
        break;
      case State.Octets:
        this.sink.onReject('invalid_syntax', `the connection closed after ${this.held} of the ${this.held + this.remaining} bytes of an octet-counted frame; starts with ${quoteHead(this.parts)}`);
        break;
      case State.SkipOctets:
        if (this.head !== null) this.reportOversizeOctets();
        break;
      default:
        break;
    }
    this.parts = [];
    this.held = 0;
    this.head = null;
    this.state = State.Start;
  }

  /** RFC 6587's MSG-LEN starts with a non-zero digit. */
  private firstCountDigitOk(): boolean {
    return this.countDigits > 0 && this.count > 0 && this.count >= 10 ** (this.countDigits - 1);
  }

  /** The digits read as a count (and the space after them) start a newline-delimited frame instead. */
  private countAsLine(after: string): void {
    this.hold(Buffer.from(this.countText() + after, 'latin1'));
    this.state = State.Line;
  }

  private countText(): string {
    // Leading zeros are not kept in `count`; they are the only way a count digit can be lost here.
    const digits = this.count === 0 ? '' : String(this.count);
    return '0'.repeat(this.countDigits - digits.length) + digits;
  }

  private startOctets(): void {
    this.remaining = this.count;
    if (this.count > this.maxRecordBytes) {
      this.head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, this.count));
      this.headLen = 0;
      this.state = State.SkipOctets;
    } else {
      this.state = State.Octets;
    }
  }

  private reportOversizeOctets(): void {
    const head = this.head!.subarray(0, this.headLen);
    this.head = null;
    this.sink.onReject('oversize', `an octet-counted frame of ${this.count} bytes is over the record size limit of ${this.maxRecordBytes}; starts with ${quoteHead([head])}`);
  }

  /** Copies: a view would keep the socket's whole chunk alive for a few bytes of a partial frame. */
  private hold(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(Buffer.from(b));
    this.held += b.length;
  }

  /** The frame is the held parts and chunk[from, to); a trailing newline inside the count is not message. */
  private emitOctets(chunk: Buffer, from: number, to: number): void {
    let bytes: Buffer;
    if (this.held === 0) bytes = chunk.subarray(from, to);
    else {
      this.parts.push(chunk.subarray(from, to));
      bytes = Buffer.concat(this.parts, this.held + to - from);
    }
    this.parts = [];
    this.held = 0;
    // rsyslog's omfwd counts the template's closing LF in the frame.
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === LF) {
      end--;
      if (end > 0 && bytes[end - 1] === CR) end--;
    }
    if (end > 0) this.sink.onMessage(bytes.toString('utf8', 0, end), end);
  }

  private emitLine(chunk: Buffer, from: number, to: number): void {
    let bytes: Buffer;
    let start = from;
    let end = to;
    if (this.held === 0) bytes = chunk;
    else {
      this.parts.push(chunk.subarray(from, to));
      bytes = Buffer.concat(this.parts, this.held + to - from);
      start = 0;
      end = bytes.length;
    }
    this.parts = [];
    this.held = 0;
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxRecordBytes) {
      this.sink.onReject('oversize', `a line of ${end - start} bytes is over the record size limit of ${this.maxRecordBytes}; starts with ${quoteHead([bytes.subarray(start, end)])}`);
      return;
    }
    if (end > start) this.sink.onMessage(bytes.toString('utf8', start, end), end - start);
  }
}

function indexOr(chunk: Buffer, byte: number, from: number, n: number): number {
  const i = chunk.indexOf(byte, from);
  return i < 0 ? n : i;
}

/** The first bytes of a frame as quoted text (a cut UTF-8 sequence shows as U+FFFD). */
function quoteHead(parts: Buffer[]): string {
  let text = '';
  for (const p of parts) {
    text += p.toString('utf8', 0, Math.min(p.length, HEAD_BYTES - Buffer.byteLength(text)));
    if (Buffer.byteLength(text) >= HEAD_BYTES) break;
  }
  return JSON.stringify(text);
}

