import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Fields } from '../../lib/record.ts';
import { parseRfc3339, parseSyslog } from './syslog.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0); // 2026-11-29T12:00:00Z

/** Parses `line` and checks its fields exactly, its time, and whether it has a problem (a regexp it must match). */
function check(line: string, want: Fields, ts: number | string = NOW, problem?: RegExp, now = NOW): void {
  const r = parseSyslog(line, now);
  assert.deepEqual(r.fields, want, line);
  assert.equal(r.ts, typeof ts === 'string' ? Date.parse(ts) : ts, `${line}: ts ${new Date(r.ts).toISOString()}`);
  if (problem === undefined) assert.equal(r.problem, undefined, line);
  else assert.match(r.problem ?? '', problem, line);
}

describe('parseSyslog: RFC 5424', () => {
  test('the RFC examples', () => {
    check(
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
      { level: 'crit', facility: 'auth', host: 'mymachine.example.com', app: 'su', msgid: 'ID47', message: "'su root' failed for lonvick on /dev/pts/8" },
      '2003-10-11T22:14:15.003Z',
    );
    check(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nothing.",
      { level: 'notice', facility: 'local4', host: '192.0.2.1', app: 'myproc', pid: 8710, message: "%% It's time to make the do-nothing." },
      '2003-08-24T12:14:15.000Z',
    );
    check(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
      {
        level: 'notice',
        facility: 'local4',
        host: 'mymachine.example.com',
        app: 'evntslog',
        msgid: 'ID47',
        'sd.exampleSDID@32473.iut': '3',
        'sd.exampleSDID@32473.eventSource': 'Application',
        'sd.exampleSDID@32473.eventID': '1011',
        message: 'An application event log entry...',
      },
      '2003-10-11T22:14:15.003Z',
    );
    // Two SD elements and no MSG.
    check(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
      {
        level: 'notice',
        facility: 'local4',
        host: 'mymachine.example.com',
        app: 'evntslog',
        msgid: 'ID47',
        'sd.exampleSDID@32473.iut': '3',
        'sd.exampleSDID@32473.eventSource': 'Application',
        'sd.exampleSDID@32473.eventID': '1011',
        'sd.examplePriority@32473.class': 'high',
      },
      '2003-10-11T22:14:15.003Z',
    );
  });

  test('nil values are left out, and a nil timestamp is the receive time with a problem', () => {
    check('<13>1 - - - - - -', { level: 'notice', facility: 'user' }, NOW, /no timestamp/);
    check('<13>1 - host - - - - hi', { level: 'notice', facility: 'user', host: 'host', message: 'hi' }, NOW, /no timestamp/);
    check('<13>1 2026-01-02T03:04:05Z - app - - -', { level: 'notice', facility: 'user', app: 'app' }, '2026-01-02T03:04:05Z');
  });

  test('PROCID is a number when all digits', () => {
    check('<13>1 2026-01-02T03:04:05Z h a 42 - - m', { level: 'notice', facility: 'user', host: 'h', app: 'a', pid: 42, message: 'm' }, '2026-01-02T03:04:05Z');
    check('<13>1 2026-01-02T03:04:05Z h a w-42 - - m', { level: 'notice', facility: 'user', host: 'h', app: 'a', pid: 'w-42', message: 'm' }, '2026-01-02T03:04:05Z');
    check('<13>1 2026-01-02T03:04:05Z h a 1234567890123456 - - m', { level: 'notice', facility: 'user', host: 'h', app: 'a', pid: '1234567890123456', message: 'm' }, '2026-01-02T03:04:05Z');
  });

  test('structured data: escapes, repeated params, malformed data kept in the message', () => {
    const head = '<14>1 2026-01-02T03:04:05Z h a - - ';
    const base = { level: 'info', facility: 'user', host: 'h', app: 'a' };
    const t = '2026-01-02T03:04:05Z';
    check(head + String.raw`[x@1 q="say \"hi\"" b="C:\\dir" br="a\]b" other="\n\t" end="\\"] msg`, { ...base, 'sd.x@1.q': 'say "hi"', 'sd.x@1.b': 'C:\\dir', 'sd.x@1.br': 'a]b', 'sd.x@1.other': '\\n\\t', 'sd.x@1.end': '\\', message: 'msg' }, t);
    check(head + '[origin ip="10.0.0.1" ip="10.0.0.2" software="x"][origin ip="10.0.0.3"] m', { ...base, 'sd.origin.ip': '["10.0.0.1","10.0.0.2","10.0.0.3"]', 'sd.origin.software': 'x', message: 'm' }, t);
    check(head + '[a v="]"] m', { ...base, 'sd.a.v': ']', message: 'm' }, t);
    check(head + '[a v=""]', { ...base, 'sd.a.v': '' }, t);
    check(head + '[a v="é ✓ 😀"] m', { ...base, 'sd.a.v': 'é ✓ 😀', message: 'm' }, t);
    check(head + '[a v="unterminated] msg', { ...base, message: '[a v="unterminated] msg' }, t, /malformed structured data: expected the closing '"'/);
    check(head + '[a v=unquoted] msg', { ...base, message: '[a v=unquoted] msg' }, t, /malformed structured data: expected '"' at character/);
    check(head + '[] msg', { ...base, message: '[] msg' }, t, /expected an SD-ID/);
    check(head + '[a b="1"', { ...base, message: '[a b="1"' }, t, /expected ' ' or '\]'/);
    // No STRUCTURED-DATA at all (a common deviation): the rest is MSG.
    check(head + 'plain msg', { ...base, message: 'plain msg' }, t);
  });

  test('a BOM before MSG is dropped; one inside it is kept', () => {
    check('<14>1 2026-01-02T03:04:05Z h a - - - \uFEFFtext \uFEFF', { level: 'info', facility: 'user', host: 'h', app: 'a', message: 'text \uFEFF' }, '2026-01-02T03:04:05Z');
    check('<14>1 2026-01-02T03:04:05Z h a - - [x y="1"] \uFEFFz', { level: 'info', facility: 'user', host: 'h', app: 'a', 'sd.x.y': '1', message: 'z' }, '2026-01-02T03:04:05Z');
  });

  test('a header cut short is stored whole', () => {
    check('<14>1 2026-01-02T03:04:05Z host app', { level: 'info', facility: 'user', message: '<14>1 2026-01-02T03:04:05Z host app' }, NOW, /header ends before its MSGID; stored whole/);
  });
});

describe('parseSyslog: PRI', () => {
  test('edge values, and out of range values as a problem', () => {
    const t = '2026-01-02T03:04:05Z';
    check(`<0>1 ${t} h a - - - m`, { level: 'emerg', facility: 'kern', host: 'h', app: 'a', message: 'm' }, t);
    check(`<191>1 ${t} h a - - - m`, { level: 'debug', facility: 'local7', host: 'h', app: 'a', message: 'm' }, t);
    check(`<7>1 ${t} h a - - - m`, { level: 'debug', facility: 'kern', host: 'h', app: 'a', message: 'm' }, t);
    check(`<8>1 ${t} h a - - - m`, { level: 'emerg', facility: 'user', host: 'h', app: 'a', message: 'm' }, t);
    check(`<123>1 ${t} h a - - - m`, { level: 'error', facility: 'solaris-cron', host: 'h', app: 'a', message: 'm' }, t);
    check(`<192>1 ${t} h a - - - m`, { host: 'h', app: 'a', message: 'm' }, t, /^PRI <192> is out of range \(0 to 191\)/);
    check(`<0192>1 ${t} h a - - - m`, { host: 'h', app: 'a', message: 'm' }, t, /PRI <0192> is out of range/);
    check('<999>Nov 29 12:00:00 h t: m', { host: 'h', app: 't', message: 'm' }, NOW, /PRI <999> is out of range/);
    // Not a PRI at all: not syslog, kept whole.
    for (const line of ['<abc>x', '<>1 - - - - - -', '<13 x', '<123456789012>x']) check(line, { message: line }, NOW, /not a syslog message/);
  });

  test('every facility and severity has its name', () => {
    const facilities = new Set<string>();
    for (let pri = 0; pri <= 191; pri++) {
      const r = parseSyslog(`<${pri}>Nov 29 12:00:00 h t: m`, NOW);
      assert.equal(r.problem, undefined);
      assert.equal(r.fields.level, ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'][pri % 8]);
      facilities.add(r.fields.facility as string);
    }
    assert.equal(facilities.size, 24);
    for (const name of ['kern', 'authpriv', 'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local7']) assert.ok(facilities.has(name), name);
  });
});

describe('parseSyslog: timestamps', () => {
  test('RFC 3339 with fractions and offsets', () => {
    const cases: [string, string | number][] = [
      ['2026-11-29T12:00:00Z', '2026-11-29T12:00:00.000Z'],
      ['2026-11-29t12:00:00z', '2026-11-29T12:00:00.000Z'],
      ['2026-11-29T12:00:00.1Z', '2026-11-29T12:00:00.100Z'],
      ['2026-11-29T12:00:00.123456+05:30', '2026-11-29T06:30:00.123Z'],
      ['2026-11-29T12:00:00.999999999-00:00', '2026-11-29T12:00:00.999Z'],
      ['2026-11-29T23:30:00-02:00', '2026-11-30T01:30:00.000Z'],
      ['2026-11-29T12:00:00+0100', '2026-11-29T11:00:00.000Z'],
      ['2026-11-29T12:00:00', '2026-11-29T12:00:00.000Z'], // no zone: UTC
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.000Z'], // leap second
      ['0050-01-01T00:00:00Z', -60589296000000],
    ];
    for (const [text, want] of cases) {
      assert.equal(parseRfc3339(text, 0, text.length), typeof want === 'string' ? Date.parse(want) : want, text);
      check(`<13>1 ${text} h a - - - m`, { level: 'notice', facility: 'user', host: 'h', app: 'a', message: 'm' }, want);
    }
  });

  test('invalid RFC 3339 timestamps are the receive time with a problem', () => {
    for (const text of ['2026-13-01T00:00:00Z', '2026-02-29T00:00:00Z', '2026-11-31T00:00:00Z', '2026-11-29T24:00:00Z', '2026-11-29T12:60:00Z', '2026-11-29T12:00:00+25:00', '2026-11-29T12:00:00.Z', '2026-11-29', '2026-11-29T12:00:00Zjunk', '20261129T120000Z']) {
      check(`<13>1 ${text} h a - - - m`, { level: 'notice', facility: 'user', host: 'h', app: 'a', message: 'm' }, NOW, /^invalid timestamp ".*"; stored with the receive time$/);
    }
  });

  test('RFC 3164 times take the year that puts them within the 12 months up to a day after now', () => {
    const at = (iso: string) => Date.parse(iso);
    const cases: [now: string, stamp: string, want: string][] = [
      ['2026-11-29T12:00:00Z', 'Nov 29 11:00:00', '2026-11-29T11:00:00Z'],
      ['2026-11-29T12:00:00Z', 'Nov 30 11:59:59', '2026-11-30T11:59:59Z'], // up to a day ahead: this year
      ['2026-11-29T12:00:00Z', 'Nov 30 12:00:01', '2025-11-30T12:00:01Z'], // more: last year
      ['2026-11-29T12:00:00Z', 'Dec  1 00:00:00', '2025-12-01T00:00:00Z'],
      ['2027-01-01T00:30:00Z', 'Dec 31 23:59:59', '2026-12-31T23:59:59Z'], // sent just before New Year, read after
      ['2026-12-31T23:00:00Z', 'Jan  1 00:10:00', '2027-01-01T00:10:00Z'], // sender's clock ahead of ours across New Year
      ['2026-12-30T12:00:00Z', 'Jan  1 00:10:00', '2026-01-01T00:10:00Z'],
      ['2027-01-01T00:00:00Z', 'Jan  1 00:00:00', '2027-01-01T00:00:00Z'],
      ['2026-11-29T12:00:00Z', 'Feb 29 10:00:00', '2024-02-29T10:00:00Z'], // the latest Feb 29
      ['2028-03-01T00:00:00Z', 'Feb 29 10:00:00', '2028-02-29T10:00:00Z'],
      ['2026-11-29T12:00:00Z', 'Nov  3 01:02:03', '2026-11-03T01:02:03Z'],
      ['2026-11-29T12:00:00Z', 'Nov 03 01:02:03', '2026-11-03T01:02:03Z'],
      ['2026-11-29T12:00:00Z', 'Nov 3 01:02:03', '2026-11-03T01:02:03Z'],
      ['2026-11-29T12:00:00Z', 'nov 29 01:02:03.250', '2026-11-29T01:02:03.250Z'],
    ];
    for (const [now, stamp, want] of cases) {
      check(`<13>${stamp} h t: m`, { level: 'notice', facility: 'user', host: 'h', app: 't', message: 'm' }, want, undefined, at(now));
    }
  });

  test('RFC 3164 times of the right shape but no date are a problem; other shapes are no timestamp', () => {
    for (const stamp of ['Feb 30 10:00:00', 'Nov 29 24:00:00', 'Nov 29 12:61:00', 'Nov  0 12:00:00']) {
      check(`<13>${stamp} h t: m`, { level: 'notice', facility: 'user', host: 'h', app: 't', message: 'm' }, NOW, /^invalid timestamp/);
    }
    check('<13>Foo 29 12:00:00 h t: m', { level: 'notice', facility: 'user', message: 'Foo 29 12:00:00 h t: m' }, NOW, /^no timestamp/);
  });
});

describe('parseSyslog: RFC 3164 and its deviations', () => {
  const user = { level: 'notice', facility: 'user' };
  test('the RFC examples', () => {
    check("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", { level: 'crit', facility: 'auth', host: 'mymachine', app: 'su', message: "'su root' failed for lonvick on /dev/pts/8" }, '2026-10-11T22:14:15Z');
    // The RFC reads `Use` as CONTENT; rsyslog (and this parser) read a first word of tag characters as the tag,
    // because senders that drop the colon are common. The word is kept in `app`.
    check('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!', { ...user, host: '10.0.0.99', app: 'Use', message: 'the BFG!' }, '2026-02-05T17:32:18Z');
    check('<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It\'s time to make the do-nothing.', { level: 'notice', facility: 'local4', host: 'CST', app: '1987', message: "mymachine myproc[10]: %% It's time to make the do-nothing." }, '2026-08-24T05:34:00Z');
  });

  test('tags with and without PID, colon or host', () => {
    const t = '2026-11-29T12:00:00Z';
    check('<13>Nov 29 12:00:00 web1 sshd[4242]: Accepted publickey', { ...user, host: 'web1', app: 'sshd', pid: 4242, message: 'Accepted publickey' }, t);
    check('<13>Nov 29 12:00:00 web1 kernel: [ 1.0] x', { ...user, host: 'web1', app: 'kernel', message: '[ 1.0] x' }, t);
    check('<13>Nov 29 12:00:00 web1 app[w-1]: m', { ...user, host: 'web1', app: 'app', pid: 'w-1', message: 'm' }, t);
    check('<13>Nov 29 12:00:00 web1 sshd[12] no colon', { ...user, host: 'web1', app: 'sshd', pid: 12, message: 'no colon' }, t);
    check('<13>Nov 29 12:00:00 web1 mytag no colon', { ...user, host: 'web1', app: 'mytag', message: 'no colon' }, t);
    check('<13>Nov 29 12:00:00 sshd[12]: no host', { ...user, app: 'sshd', pid: 12, message: 'no host' }, t);
    check('<13>Nov 29 12:00:00 cron: no host', { ...user, app: 'cron', message: 'no host' }, t);
    check('<13>Nov 29 12:00:00 web1 tag:', { ...user, host: 'web1', app: 'tag' }, t);
    check('<13>Nov 29 12:00:00 web1 lone', { ...user, host: 'web1', message: 'lone' }, t);
    check('<13>Nov 29 12:00:00 lone', { ...user, message: 'lone' }, t);
    check('<13>Nov 29 12:00:00', user, t);
    // Not a tag: the word has characters tags do not have, or the colon is not followed by a space.
    check('<13>Nov 29 12:00:00 web1 (paren) text', { ...user, host: 'web1', message: '(paren) text' }, t);
    check('<13>Nov 29 12:00:00 web1 http://x/ y', { ...user, host: 'web1', message: 'http://x/ y' }, t);
    check('<13>Nov 29 12:00:00 web1 t[1 x', { ...user, host: 'web1', message: 't[1 x' }, t);
    // The space rsyslog keeps before a relayed message is not part of it.
    check('<13>Nov 29 12:00:00 web1 tag:   spaced', { ...user, host: 'web1', app: 'tag', message: 'spaced' }, t);
  });

  test('no PRI, ISO timestamps in the RFC 3164 position, no timestamp', () => {
    check('Nov 29 12:00:00 web1 tag: no pri', { host: 'web1', app: 'tag', message: 'no pri' }, '2026-11-29T12:00:00Z');
    check('<155>2026-11-29T12:00:00.123+00:00 web1 tag: forwarded', { level: 'error', facility: 'local3', host: 'web1', app: 'tag', message: 'forwarded' }, '2026-11-29T12:00:00.123Z');
    check('<155>2026-11-29T12:00:00.123456+01:00 web1 tag[7]: forwarded', { level: 'error', facility: 'local3', host: 'web1', app: 'tag', pid: 7, message: 'forwarded' }, '2026-11-29T11:00:00.123Z');
    check('2026-11-29T12:00:00Z web1 tag: no pri', { host: 'web1', app: 'tag', message: 'no pri' }, '2026-11-29T12:00:00Z');
    check('<13>2026-13-29T12:00:00Z web1 tag: m', { ...user, host: 'web1', app: 'tag', message: 'm' }, NOW, /^invalid timestamp "2026-13-29T12:00:00Z"/);
    check('<13>sshd[12]: no timestamp', { ...user, app: 'sshd', pid: 12, message: 'no timestamp' }, NOW, /^no timestamp/);
    check('<13>just text', { ...user, message: 'just text' }, NOW, /^no timestamp/);
    check('<13>1 apple fell', { ...user, message: '1 apple fell' }, NOW, /^no timestamp/);
  });

  test('what is not syslog is stored whole', () => {
    for (const line of ['plain text', 'ERROR: disk full', '2026-11-29 12:00:00 not iso enough', '1 2 3 4 5 6 7 8', '   ', '\uFEFF<13>x']) {
      check(line, { message: line }, NOW, /^not a syslog message \(no <PRI> and no timestamp\); stored whole as the message with the receive time$/);
    }
    check('', {}, NOW, /not a syslog message/);
  });
});

describe('parseSyslog: properties', () => {
  const pieces = fc.constantFrom('<', '>', '13', '1', ' ', '  ', '-', '[', ']', '"', '\\', '=', ':', 'Nov', ' 29 ', '12:00:00', '2026-11-29T12:00:00Z', '.5', '+01:00', 'a', 'é', '\uFEFF', '\n', '😀');
  const syslogish = fc.array(pieces, { maxLength: 30 }).map((a) => a.join(''));
  const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), syslogish, fc.tuple(fc.constantFrom('<13>1 ', '<13>', '<34>Nov 29 12:00:00 ', '<13>1 - h a p m '), syslogish).map(([a, b]) => a + b));

  test('arbitrary text never throws, and keeps its text', () => {
    fc.assert(
      fc.property(anyText, (line) => {
        const r = parseSyslog(line, NOW);
        assert.ok(Number.isInteger(r.ts));
        for (const [k, v] of Object.entries(r.fields)) {
          assert.ok(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)), k);
          assert.ok(k !== '@timestamp' && k !== '__proto__');
        }
        if (r.fields.message !== undefined) assert.ok(line.includes(r.fields.message as string), 'the message is text of the line');
        // Whatever is not syslog is kept whole.
        if (r.problem?.includes('stored whole')) assert.equal(r.fields.message, line.length > 0 ? line : undefined);
      }),
      { numRuns: 3000 },
    );
  });

  test('the text after a header is the message exactly', () => {
    const body = fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((s) => s[0] !== ' ' && s[0] !== '\uFEFF');
    fc.assert(
      fc.property(body, fc.constantFrom('<13>1 2026-11-29T12:00:00Z h a 1 m - ', '<13>1 - - - - - [x y="\\]"] \uFEFF', '<13>Nov 29 12:00:00 h tag[1]: ', '<13>2026-11-29T12:00:00Z h tag: ', 'Nov 29 12:00:00 h t: '), (b, head) => {
        const r = parseSyslog(head + b, NOW);
        assert.equal(r.fields.message, b);
      }),
      { numRuns: 1000 },
    );
  });
});
