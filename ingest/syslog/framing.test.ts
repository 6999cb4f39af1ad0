import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SyslogFrameDecoder } from './framing.ts';

type Event = { message: string; bytes: number } | { reject: 'oversize' | 'invalid_syntax'; reason: string };

/** Decodes `stream` fed as the given chunks (cut points), then ended. */
function decode(stream: Buffer, cuts: number[], max = 1 << 20, end = true): Event[] {
  const out: Event[] = [];
  const d = new SyslogFrameDecoder(max, {
    onMessage: (message, bytes) => out.push({ message, bytes }),
    onReject: (reject, reason) => out.push({ reject, reason }),
  });
  let from = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= from || c >= stream.length) continue;
    d.push(stream.subarray(from, c));
    from = c;
  }
  d.push(stream.subarray(from));
  if (end) d.end();
  return out;
}

const messages = (evs: Event[]) => evs.map((e) => ('message' in e ? e.message : `!${e.reject}`));
const octet = (m: string) => `${Buffer.byteLength(m)} ${m}`;
const everyCut = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('SyslogFrameDecoder', () => {
  test('octet counting and newlines, with LF, CRLF and NUL terminators', () => {
    const stream = Buffer.from(octet('<13>1 - - - - - - multi\nline') + '<13>lf\n<13>crlf\r\n<13>nul\0' + octet('<13>x') + '\n\r\n<13>last');
    const want = ['<13>1 - - - - - - multi\nline', '<13>lf', '<13>crlf', '<13>nul', '<13>x', '<13>last'];
    assert.deepEqual(messages(decode(stream, [])), want);
    // Cut into single bytes.
    assert.deepEqual(messages(decode(stream, everyCut(stream.length))), want);
  });

  test('reports UTF-8 sizes and decodes sequences split across chunks', () => {
    const m = '<13>é✓😀';
    const stream = Buffer.from(octet(m) + m + '\n');
    const evs = decode(stream, everyCut(stream.length));
    assert.deepEqual(evs, [
      { message: m, bytes: 13 },
      { message: m, bytes: 13 },
    ]);
  });

  test('a newline counted inside an octet-counted frame is not message (rsyslog omfwd sends it)', () => {
    assert.deepEqual(messages(decode(Buffer.from('6 <13>a\n7 <13>b\r\n5 <13>c'), [])), ['<13>a', '<13>b', '<13>c']);
    // A lone CR at the end is the message's own.
    assert.deepEqual(messages(decode(Buffer.from('6 <13>a\r'), [])), ['<13>a\r']);
  });

  test('a line that only starts like an octet count is a newline-delimited line, kept whole', () => {
    const cases = [
      '12x<13>kept',
      '0 <13>kept',
      '007 <13>kept',
      '12345678901 <13>kept',
      '2026-11-29T12:00:00Z no pri',
      '404 not found, and no PRI',
      '12',
    ];
    for (const line of cases) {
      const stream = Buffer.from('<13>before\n' + line + '\n<13>after\n' + octet('<13>counted'));
      for (const cuts of [[], everyCut(stream.length)]) {
        assert.deepEqual(messages(decode(stream, cuts)), ['<13>before', line, '<13>after', '<13>counted'], line);
      }
    }
  });

  test('oversize frames are rejected with their first bytes, skipped, and what follows survives', () => {
    const max = 100;
    const big = '<13>' + 'x'.repeat(200);
    const stream = Buffer.from(['<13>a\n', octet(big), '<13>b\n', big + '\n', '<13>c\n', 'y'.repeat(101) + '\r\n', 'z'.repeat(100) + '\r\n', octet('<13>' + 'w'.repeat(96))].join(''));
    for (const cuts of [[], everyCut(stream.length), [3, 50, 51, 300, 301, 302]]) {
      const evs = decode(stream, cuts, max);
      assert.deepEqual(messages(evs), ['<13>a', '!oversize', '<13>b', '!oversize', '<13>c', '!oversize', 'z'.repeat(100), '<13>' + 'w'.repeat(96)]);
      assert.match((evs[1] as { reason: string }).reason, /^an octet-counted frame of 204 bytes is over the record size limit of 100; starts with "<13>x{60}"$/);
      assert.match((evs[3] as { reason: string }).reason, /(no newline within 100 bytes|a line of 204 bytes).*starts with "<13>x/);
      assert.match((evs[5] as { reason: string }).reason, /y{20}/);
    }
  });

  test('an oversize frame is rejected as soon as its head arrives, without waiting for (or holding) the rest', () => {
    const evs: Event[] = [];
    const d = new SyslogFrameDecoder(1000, { onMessage: (message, bytes) => evs.push({ message, bytes }), onReject: (reject, reason) => evs.push({ reject, reason }) });
    d.push(Buffer.from('999999999 <13>' + 'a'.repeat(100)));
    assert.equal(evs.length, 1);
    assert.match((evs[0] as { reason: string }).reason, /frame of 999999999 bytes/);
    // A gigabyte frame streams through in 64 KiB chunks without growing anything.
    const chunk = Buffer.alloc(65536, 0x61);
    for (let sent = 114; sent + chunk.length <= 999999999 + 10; sent += chunk.length) d.push(chunk);
    d.push(Buffer.from('a'.repeat((999999999 + 10 - 114) % 65536) + '<13>after\n'));
    assert.deepEqual(messages(evs), ['!oversize', '<13>after']);

    const lines: Event[] = [];
    const l = new SyslogFrameDecoder(1000, { onMessage: (message, bytes) => lines.push({ message, bytes }), onReject: (reject, reason) => lines.push({ reject, reason }) });
    l.push(Buffer.from('<13>' + 'b'.repeat(996)));
    assert.equal(lines.length, 0, 'a full-size line without its newline yet');
    l.push(Buffer.from('bb'));
    assert.deepEqual(messages(lines), ['!oversize']);
    for (let i = 0; i < 100; i++) l.push(chunk);
    l.push(Buffer.from('\n<13>after\n'));
    assert.deepEqual(messages(lines), ['!oversize', '<13>after']);
  });

  test('the end of the stream: a last line is a message, a partial octet-counted frame is an error', () => {
    assert.deepEqual(messages(decode(Buffer.from('<13>no newline'), [])), ['<13>no newline']);
    assert.deepEqual(messages(decode(Buffer.from('<13>no newline'), [], 1 << 20, false)), []);
    const partial = decode(Buffer.from('20 <13>short'), []);
    assert.deepEqual(messages(partial), ['!invalid_syntax']);
    assert.match((partial[0] as { reason: string }).reason, /closed after 9 of the 20 bytes .* starts with "<13>short"/);
    // Digits at the very end are a last line, like any other.
    assert.deepEqual(messages(decode(Buffer.from('<13>a\n12'), [])), ['<13>a', '12']);
  });

  test('property: any messages framed either way, cut anywhere, decode to the same messages', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 80 });
    const framed = fc.oneof(
      // Octet counting carries anything after its PRI's `<` but a trailing newline (a newline counted at the end is
      // framing).
      text.filter((m) => !m.endsWith('\n')).map((m) => '<' + m).map((m) => ({ m, wire: octet(m) })),
      // Newline framing: a message starting with `<`, without terminators inside, and CR only where it is not
      // the end; the terminator is LF, CRLF or NUL.
      fc
        .tuple(text.map((m) => '<' + m.replace(/[\n\0]/g, ' ').replace(/\r+$/, '')), fc.constantFrom('\n', '\r\n', '\0'))
        .map(([m, end]) => ({ m, wire: m + end })),
    );
    fc.assert(
      fc.property(fc.array(framed, { maxLength: 20 }), fc.array(fc.nat(4000), { maxLength: 30 }), (frames, cuts) => {
        const stream = Buffer.from(frames.map((f) => f.wire).join(''));
        const evs = decode(stream, cuts);
        assert.deepEqual(messages(evs), frames.map((f) => f.m));
        evs.forEach((e) => assert.equal((e as { bytes: number }).bytes, Buffer.byteLength((e as { message: string }).message)));
      }),
      { numRuns: 500 },
    );
  });

  test('property: random bytes never throw, and every message is within the limit', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // Bytes that matter to framing, so counts, terminators and oversize frames come up often.
      fc.array(fc.constantFrom(...Buffer.from('0123456789 <>\n\r\0x\xc3\xa9', 'latin1')), { maxLength: 600 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(600), { maxLength: 10 }), fc.integer({ min: 1, max: 64 }), (b, cuts, max) => {
        for (const e of decode(Buffer.from(b), cuts, max)) {
          if ('message' in e) {
            assert.ok(e.bytes <= max && e.bytes > 0 && e.message.length > 0);
          } else {
            assert.ok(e.reason.length > 0);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
