/**
 * Syslog over TCP cuts its stream into messages one of two ways (RFC 6587): octet counting (`<length> <message>`,
 * what RFC 5425 senders use) or a newline after each message (what most senders do). A frame that starts with a
 * digit 1–9 and runs digits up to a space is taken as octet counting; any other is read to its newline. So a
 * newline-framed message that itself starts `123 ` would be misread: syslog messages start with `<PRI>`.
 *
 * Memory per connection is bounded: a message longer than `max` bytes is handed on cut to `max`, and the rest of
 * its frame is skipped.
 */
export class SyslogFramer {
  /** The start of a frame not complete yet. */
  private carry: Buffer | null = null;
  /** Bytes of an octet-counted frame past `max`, still to be skipped. */
  private skip = 0;
  /** Inside a newline-framed message past `max`: skipped to its newline. */
  private skipLine = false;
  /** Bytes skipped so far (over-long messages). */
  bytesCut = 0;

  constructor(
    private readonly max: number,
    private readonly out: (buf: Buffer, start: number, stop: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const data = this.carry === null ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = null;
    const n = data.length;
    let pos = 0;
    while (pos < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - pos);
        this.skip -= k;
        this.bytesCut += k;
        pos += k;
        continue;
      }
      if (this.skipLine) {
        const nl = data.indexOf(0x0a, pos);
        this.bytesCut += (nl < 0 ? n : nl) - pos;
        if (nl < 0) return;
        this.skipLine = false;
        pos = nl + 1;
        continue;
      }
      const counted = this.octetCounted(data, pos);
      if (counted === 'more') break;
      if (counted !== null) {
        const { start, len } = counted;
        const take = Math.min(len, this.max);
        if (n - start < take) break;
        this.out(data, start, start + take);
        this.skip = len - take;
        pos = start + take;
        continue;
      }
      const nl = data.indexOf(0x0a, pos);
      if (nl < 0) {
        if (n - pos <= this.max) break;
        this.out(data, pos, pos + this.max);
        this.bytesCut += n - pos - this.max;
        this.skipLine = true;
        return;
      }
      const stop = Math.min(nl, pos + this.max);
      this.bytesCut += nl - stop;
      this.out(data, pos, stop);
      pos = nl + 1;
    }
    if (pos < n) this.carry = data.subarray(pos);
  }

  /** The connection closed: a last message without its newline is still a message. */
  end(): void {
    const c = this.carry;
    this.carry = null;
    if (c !== null && c.length > 0 && this.octetCounted(c, 0) === null) this.out(c, 0, Math.min(c.length, this.max));
  }

  /** `<digits> ` at `pos`: where the message starts and its length; 'more' if the chunk ends inside the digits. */
  private octetCounted(data: Buffer, pos: number): { start: number; len: number } | 'more' | null {
    const first = data[pos];
    if (first < 0x31 || first > 0x39) return null;
    let len = 0;
    let i = pos;
    for (; i < data.length && i - pos < 10; i++) {
      const c = data[i];
      if (c < 0x30 || c > 0x39) break;
      len = len * 10 + c - 0x30;
    }
    if (i >= data.length) return 'more';
    return data[i] === 0x20 ? { start: i + 1, len } : null;
  }
}
