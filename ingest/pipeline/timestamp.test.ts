import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../../lib/errors.ts';
import { parseTime } from './timestamp.ts';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const iso = (s: string): number => Date.parse(s);
const show = (t: number): string => (Number.isNaN(t) ? 'NaN' : new Date(t).toISOString());

/** check(value, format, want ISO instant or NaN, options) */
function check(value: string | number, format: string | undefined, want: string | null, opts: { timezone?: string; nowMs?: number } = {}): void {
  const got = parseTime(value, format, { nowMs: NOW, ...opts });
  if (want === null) assert.ok(Number.isNaN(got), `${JSON.stringify(value)} as ${format}: want NaN, got ${show(got)}`);
  else assert.equal(got, iso(want), `${JSON.stringify(value)} as ${format}: got ${show(got)}, want ${want}`);
}

describe('named formats', () => {
  test('iso8601: extended and basic, T or space, fractions, with and without zone', () => {
    check('2024-01-02T03:04:05Z', 'iso8601', '2024-01-02T03:04:05.000Z');
    check('2024-01-02t03:04:05z', 'iso8601', '2024-01-02T03:04:05.000Z');
    check('2024-01-02 03:04:05.1', 'iso8601', '2024-01-02T03:04:05.100Z');
    check('2024-01-02T03:04:05,123456789+02:00', 'iso8601', '2024-01-02T01:04:05.123Z');
    check('2024-01-02T03:04:05-0130', 'iso8601', '2024-01-02T04:34:05.000Z');
    check('2024-01-02T03:04:05+01', 'iso8601', '2024-01-02T02:04:05.000Z');
    check('2024-01-02T03:04:05 +01:00', 'iso8601', '2024-01-02T02:04:05.000Z');
    check('2024-01-02T03:04', 'iso8601', '2024-01-02T03:04:00.000Z');
    check('2024-01-02', 'iso8601', '2024-01-02T00:00:00.000Z');
    check('20240102T030405.5Z', 'iso8601', '2024-01-02T03:04:05.500Z');
    check('20240102T0304+0100', 'iso8601', '2024-01-02T02:04:00.000Z');
    check('+012024-01-02T00:00:00Z', 'iso8601', '+012024-01-02T00:00:00.000Z');
    check('2024-01-02T03:04:05', 'iso8601', '2024-01-02T01:04:05.000Z', { timezone: '+02:00' });
    check('2024/01/02 03:04:05', 'iso8601', null);
  });

  test('rfc3339 wants seconds and a zone', () => {
    check('2024-01-02T03:04:05.999999Z', 'rfc3339', '2024-01-02T03:04:05.999Z');
    check('2024-01-02 03:04:05-05:00', 'rfc3339', '2024-01-02T08:04:05.000Z');
    check('2024-01-02T03:04:05', 'rfc3339', null);
    check('2024-01-02T03:04Z', 'rfc3339', null);
    check('2024-01-02T03:04:05+0100', 'rfc3339', null);
  });

  test('syslog, with the year inferred, an optional year and fractions', () => {
    check('Jun 14 15:16:01', 'syslog', '2024-06-14T15:16:01.000Z');
    check('Jun 17 15:16:01', 'syslog', '2023-06-17T15:16:01.000Z');
    check('Jun  5 01:02:03', 'syslog', '2024-06-05T01:02:03.000Z');
    check('jun 16 11:00:00', 'syslog', '2024-06-16T11:00:00.000Z');
    check('Jun 14 2005 15:16:01', 'syslog', '2005-06-14T15:16:01.000Z');
    check('Jun 14 15:16:01.250', 'syslog', '2024-06-14T15:16:01.250Z');
    check('Jun 14 15:16:01', 'syslog', '2024-06-14T13:16:01.000Z', { timezone: 'Europe/Berlin' });
    check('Jun 31 15:16:01', 'syslog', null);
    check('June 14 15:16:01', 'syslog', null);
  });

  test('apache and nginx access-log time', () => {
    check('17/May/2015:10:05:03 +0000', 'apache', '2015-05-17T10:05:03.000Z');
    check('22/Jan/2019:03:56:14 +0330', 'apache', '2019-01-22T00:26:14.000Z');
    check('01/Jan/2019:00:00:00 -0800', 'apache', '2019-01-01T08:00:00.000Z');
    check('17/May/2015:10:05:03', 'apache', null);
    check('17/Foo/2015:10:05:03 +0000', 'apache', null);
  });

  test('rfc2822 and asctime', () => {
    check('Sun, 04 Dec 2005 04:47:44 +0100', 'rfc2822', '2005-12-04T03:47:44.000Z');
    check('4 Dec 2005 04:47 GMT', 'rfc2822', '2005-12-04T04:47:00.000Z');
    check('Sun, 04 Dec 05 04:47:44 EST', 'rfc2822', '2005-12-04T09:47:44.000Z');
    check('Sun, 04 Dec 99 04:47:44 PDT', 'rfc2822', '1999-12-04T11:47:44.000Z');
    check('Sun Dec 04 04:47:44 2005', 'asctime', '2005-12-04T04:47:44.000Z');
    check('Sun Dec  4 04:47:44.5 2005', 'asctime', '2005-12-04T04:47:44.500Z');
    check('Sun Dec 04 04:47:44 2005', 'asctime', '2005-12-04T03:47:44.000Z', { timezone: 'Europe/Paris' });
  });

  test('epoch units, as numbers and as exact digits', () => {
    check('1700000000', 'epoch_s', '2023-11-14T22:13:20.000Z');
    check('1700000000.0019', 'epoch_s', '2023-11-14T22:13:20.001Z');
    check('1.001', 'epoch_s', '1970-01-01T00:00:01.001Z');
    check('-1.5', 'epoch_s', '1969-12-31T23:59:58.500Z');
    check('-1.0005', 'epoch_s', '1969-12-31T23:59:58.999Z');
    check('1700000000123', 'epoch_ms', '2023-11-14T22:13:20.123Z');
    check('1700000000123.5', 'epoch_ms', null);
    check('1700000000123456', 'epoch_us', '2023-11-14T22:13:20.123Z');
    check('1700000000123999999', 'epoch_ns', '2023-11-14T22:13:20.123Z');
    check('999999', 'epoch_ns', '1970-01-01T00:00:00.000Z');
    check('-1', 'epoch_ns', '1969-12-31T23:59:59.999Z');
    check(1700000000.5, 'epoch_s', '2023-11-14T22:13:20.500Z');
    check(1.001, 'epoch_s', '1970-01-01T00:00:01.001Z');
    check(-0.0015, 'epoch_s', '1969-12-31T23:59:59.998Z');
    check(1700000000123456, 'auto', '2023-11-14T22:13:20.123Z');
    check(1700000000123, 'epoch_ms', '2023-11-14T22:13:20.123Z');
    check(1700000000123456, 'epoch_us', '2023-11-14T22:13:20.123Z');
    check('12a', 'epoch_s', null);
    check('', 'epoch_ms', null);
    check('9'.repeat(30), 'epoch_ms', null);
  });
});

describe('auto', () => {
  test('tells the common forms apart', () => {
    check('2024-01-02T03:04:05.678Z', undefined, '2024-01-02T03:04:05.678Z');
    check('2024-01-02 03:04:05', undefined, '2024-01-02T03:04:05.000Z');
    check('17/May/2015:10:05:03 +0000', undefined, '2015-05-17T10:05:03.000Z');
    check('Jun 14 15:16:01', undefined, '2024-06-14T15:16:01.000Z');
    check('Sun, 04 Dec 2005 04:47:44 GMT', undefined, '2005-12-04T04:47:44.000Z');
    check('4 Dec 2005 04:47:44 +0000', undefined, '2005-12-04T04:47:44.000Z');
    check('Sun Dec 04 04:47:44 2005', undefined, '2005-12-04T04:47:44.000Z');
  });

  test('guesses the unit of an epoch from its magnitude', () => {
    for (const v of [1700000000, '1700000000', 1700000000000, '1700000000000', 1700000000000000, '1700000000000000',
      '1700000000000000000', 1700000000000000000]) {
      check(v, 'auto', '2023-11-14T22:13:20.000Z');
    }
    check('1700000000.25', 'auto', '2023-11-14T22:13:20.250Z');
    check('1700000000123.7', 'auto', '2023-11-14T22:13:20.123Z');
    check(0, 'auto', '1970-01-01T00:00:00.000Z');
  });

  test('anything else is NaN', () => {
    for (const v of ['', 'garbage', 'now', '2024-13-01T00:00:00Z', '2024-01-32T00:00:00Z', '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T10:60:00Z',
      '2024-01-01T10:00:61Z', '2024-01-01T10:00:00+25:00', '2024-01-01T10:00:00+01:60', 'Foo 14 15:16:01',
      '32/May/2015:10:05:03 +0000', '1e10', NaN, Infinity, -Infinity, 1e300]) {
      check(v, 'auto', null);
    }
  });

  test('a leap second is read as the next second', () => {
    check('2016-12-31T23:59:60Z', 'auto', '2017-01-01T00:00:00.000Z');
  });
});

describe('patterns', () => {
  const cases: [string, string, string | null][] = [
    ['081109 203615', 'yyMMdd HHmmss', '2008-11-09T20:36:15.000Z'],
    ['690101', 'yyMMdd', '1969-01-01T00:00:00.000Z'],
    ['680101', 'yyMMdd', '2068-01-01T00:00:00.000Z'],
    ['2005-06-03-15.42.50.675872', 'yyyy-MM-dd-HH.mm.ss.SSSSSS', '2005-06-03T15:42:50.675Z'],
    ['2015-10-18 18:01:47,978', 'yyyy-MM-dd HH:mm:ss,SSS', '2015-10-18T18:01:47.978Z'],
    // An S run shorter in the text is an unpadded number of its units (HealthApp's `:96` is 96 ms).
    ['20171223-22:15:35:96', 'yyyyMMdd-HH:mm:ss:SSS', '2017-12-23T22:15:35.096Z'],
    ['20171223-22:15:35:6', 'yyyyMMdd-HH:mm:ss:SSS', '2017-12-23T22:15:35.006Z'],
    ['2024-01-02T12:00:00.5', "yyyy-MM-dd'T'HH:mm:ss.S", '2024-01-02T12:00:00.500Z'],
    ['2024-01-02T12:00:00.123456789', "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS", '2024-01-02T12:00:00.123Z'],
    ['2024-1-2 3:4:5', 'y-M-d H:m:s', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05 +0530', 'yyyy-MM-dd HH:mm:ss Z', '2024-01-01T21:34:05.000Z'],
    ['2024-01-02 03:04:05 Z', 'yyyy-MM-dd HH:mm:ss Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05 -03', 'yyyy-MM-dd HH:mm:ss X', '2024-01-02T06:04:05.000Z'],
    ['2024-01-02 03:04:05 -0300', 'yyyy-MM-dd HH:mm:ss XX', '2024-01-02T06:04:05.000Z'],
    ['2024-01-02 03:04:05 -03:00', 'yyyy-MM-dd HH:mm:ss XXX', '2024-01-02T06:04:05.000Z'],
    ['2024-01-02 03:04:05 Z', 'yyyy-MM-dd HH:mm:ss XXX', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05 -0300', 'yyyy-MM-dd HH:mm:ss XXX', null],
    ['17/May/2015:10:05:03 +0000', 'dd/MMM/yyyy:HH:mm:ss Z', '2015-05-17T10:05:03.000Z'],
    ['17/may/2015:10:05:03 +0000', 'dd/MMM/yyyy:HH:mm:ss Z', '2015-05-17T10:05:03.000Z'],
    ['17 September 2015', 'd MMMM yyyy', '2015-09-17T00:00:00.000Z'],
    ['17 Sep 2015', 'd MMMM yyyy', null],
    ['Sun Dec 04 04:47:44 2005', 'EEE MMM dd HH:mm:ss yyyy', '2005-12-04T04:47:44.000Z'],
    ['Sunday, 4 Dec 2005', 'EEEE, d MMM yyyy', '2005-12-04T00:00:00.000Z'],
    ['Sux Dec 04 04:47:44 2005', 'EEE MMM dd HH:mm:ss yyyy', null],
    ["at 2024-01-02T03:04 o'clock", "'at' yyyy-MM-dd'T'HH:mm 'o''clock'", '2024-01-02T03:04:00.000Z'],
    ['Jul  1 09:00:55', 'MMM d HH:mm:ss', '2023-07-01T09:00:55.000Z'],
    ['10.30 16:49:06', 'MM.dd HH:mm:ss', '2023-10-30T16:49:06.000Z'],
    ['03-17 16:13:38.811', 'MM-dd HH:mm:ss.SSS', '2024-03-17T16:13:38.811Z'],
    ['2005.11.09 12:01:01', 'yyyy.MM.dd HH:mm:ss', '2005-11-09T12:01:01.000Z'],
    // out of range parts
    ['2024-13-02 03:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-04-31 03:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-01-32 03:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-01-02 25:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-01-02 03:60:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-00-02 03:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-01-00 03:04:05', 'yyyy-MM-dd HH:mm:ss', null],
    ['2024-01-02 03:04:05 +2400', 'yyyy-MM-dd HH:mm:ss Z', null],
    ['2024-01-02 03:04:05 trailing', 'yyyy-MM-dd HH:mm:ss', null],
  ];
  test('each letter, literal and range check', () => {
    for (const [value, format, want] of cases) check(value, format, want);
  });

  test('a number in a pattern format is read as its digits', () => {
    check(20240102, 'yyyyMMdd', '2024-01-02T00:00:00.000Z');
    check(20240102, 'iso8601', null);
  });

  test('a pattern with unsupported letters or an open quote is a config error', () => {
    for (const format of ['yyyy-MM-dd hh:mm', 'yyyy-MM-dd a', "yyyy-MM-dd'T", 'ddd', 'ZZ', 'XXXX', 'HHH']) {
      assert.throws(() => parseTime('2024-01-02', format), (e: unknown) => e instanceof StrataError && e.code === 'invalid_config' && e.message.includes(format), format);
    }
  });
});

describe('time zones', () => {
  test('fixed offsets, and the text\'s own offset winning over the option', () => {
    check('2024-01-02 03:04:05', 'yyyy-MM-dd HH:mm:ss', '2024-01-02T01:04:05.000Z', { timezone: '+02:00' });
    check('2024-01-02 03:04:05', 'yyyy-MM-dd HH:mm:ss', '2024-01-02T08:34:05.000Z', { timezone: '-0530' });
    check('2024-01-02 03:04:05', 'yyyy-MM-dd HH:mm:ss', '2024-01-02T03:04:05.000Z', { timezone: 'UTC' });
    check('2024-01-02T03:04:05Z', 'iso8601', '2024-01-02T03:04:05.000Z', { timezone: 'America/New_York' });
  });

  test('IANA zones follow daylight saving time', () => {
    check('2024-01-15 12:00:00', 'yyyy-MM-dd HH:mm:ss', '2024-01-15T17:00:00.000Z', { timezone: 'America/New_York' });
    check('2024-07-15 12:00:00', 'yyyy-MM-dd HH:mm:ss', '2024-07-15T16:00:00.000Z', { timezone: 'America/New_York' });
    check('2024-07-15 12:00:00', 'yyyy-MM-dd HH:mm:ss', '2024-07-15T06:30:00.000Z', { timezone: 'Asia/Kolkata' });
    // Lord Howe Island moves its clocks by half an hour.
    check('2024-01-15 12:00:00', 'yyyy-MM-dd HH:mm:ss', '2024-01-15T01:00:00.000Z', { timezone: 'Australia/Lord_Howe' });
    check('2024-07-15 12:00:00', 'yyyy-MM-dd HH:mm:ss', '2024-07-15T01:30:00.000Z', { timezone: 'Australia/Lord_Howe' });
  });

  test('around a transition: the hour before and after, the gap and the overlap', () => {
    const tz = { timezone: 'Europe/Berlin' };
    const f = 'yyyy-MM-dd HH:mm:ss';
    // Spring forward, 2024-03-31 at 01:00 UTC: 02:00–03:00 local does not exist and moves later by the gap.
    check('2024-03-31 01:59:59', f, '2024-03-31T00:59:59.000Z', tz);
    check('2024-03-31 02:30:00', f, '2024-03-31T01:30:00.000Z', tz);
    check('2024-03-31 03:00:00', f, '2024-03-31T01:00:00.000Z', tz);
    // Fall back, 2024-10-27 at 01:00 UTC: 02:00–03:00 local happens twice; the earlier instant is taken.
    check('2024-10-27 01:59:59', f, '2024-10-26T23:59:59.000Z', tz);
    check('2024-10-27 02:30:00', f, '2024-10-27T00:30:00.000Z', tz);
    check('2024-10-27 03:00:00', f, '2024-10-27T02:00:00.000Z', tz);
    // The southern hemisphere's DST runs the other way round the year.
    check('2024-04-07 02:30:00', f, '2024-04-06T15:30:00.000Z', { timezone: 'Australia/Sydney' });
  });

  test('any instant, written as wall-clock time in a zone, reads back to itself (earliest when ambiguous)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'America/Sao_Paulo', 'Australia/Lord_Howe'];
    const formatters = new Map(zones.map((z) => [z, new Intl.DateTimeFormat('en-CA', {
      timeZone: z, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    })]));
    const wall = (t: number, z: string): string => {
      const p = Object.fromEntries(formatters.get(z)!.formatToParts(t).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
    };
    fc.assert(fc.property(
      fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 }), fc.constantFrom(...zones),
      (s, zone) => {
        const t = s * 1000;
        const text = wall(t, zone);
        const back = parseTime(text, 'yyyy-MM-dd HH:mm:ss', { timezone: zone });
        assert.equal(wall(back, zone), text);
        assert.ok(back <= t && t - back <= 3_600_000, `${text} in ${zone}: ${back} vs ${t}`);
      },
    ), { numRuns: 500 });
  });

  test('an unknown zone is a config error', () => {
    for (const timezone of ['Mars/Olympus_Mons', '+25:00', 'not a zone']) {
      assert.throws(() => parseTime('2024-01-01T00:00:00', 'iso8601', { timezone }),
        (e: unknown) => e instanceof StrataError && e.code === 'invalid_config' && e.message.includes(timezone));
    }
  });
});

describe('year inference for text without a year', () => {
  test('around New Year: the twelve months up to one day after now', () => {
    const nowMs = Date.UTC(2024, 0, 1, 0, 30);
    check('Dec 31 23:59:00', 'syslog', '2023-12-31T23:59:00.000Z', { nowMs });
    check('Jan  1 00:10:00', 'syslog', '2024-01-01T00:10:00.000Z', { nowMs });
    // A clock up to a day ahead is still this year; beyond that it is last year's date.
    check('Jan  2 00:29:00', 'syslog', '2024-01-02T00:29:00.000Z', { nowMs });
    check('Jan  2 00:31:00', 'syslog', '2023-01-02T00:31:00.000Z', { nowMs });
    check('Dec 31 23:59:00', 'MMM d HH:mm:ss', '2023-12-31T23:59:00.000Z', { nowMs });
    const endOfYear = Date.UTC(2023, 11, 31, 23, 0);
    check('Jan  1 00:10:00', 'syslog', '2024-01-01T00:10:00.000Z', { nowMs: endOfYear });
    check('Dec 31 22:00:00', 'syslog', '2023-12-31T22:00:00.000Z', { nowMs: endOfYear });
  });

  test('29 February goes to the last leap year', () => {
    check('Feb 29 12:00:00', 'syslog', '2024-02-29T12:00:00.000Z', { nowMs: Date.UTC(2025, 2, 1) });
    check('Feb 29 12:00:00', 'syslog', '2020-02-29T12:00:00.000Z', { nowMs: Date.UTC(2024, 1, 27) });
  });
});

describe('properties', () => {
  test('the ISO text of any date parses back to the same millisecond', () => {
    fc.assert(fc.property(fc.date({ noInvalidDate: true }), (d) => {
      assert.equal(parseTime(d.toISOString()), d.getTime());
      assert.equal(parseTime(d.toISOString(), 'iso8601'), d.getTime());
    }), { numRuns: 2000 });
  });

  test('RFC 3339 with any offset parses back to the same millisecond', () => {
    fc.assert(fc.property(
      fc.date({ min: new Date(Date.UTC(1, 0, 2)), max: new Date(Date.UTC(9999, 11, 30)), noInvalidDate: true }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
      (d, offsetMin) => {
        const shifted = new Date(d.getTime() + offsetMin * 60_000).toISOString().slice(0, -1);
        const a = Math.abs(offsetMin);
        const zone = `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
        assert.equal(parseTime(shifted + zone, 'rfc3339'), d.getTime());
        assert.equal(parseTime(shifted, 'iso8601', { timezone: zone }), d.getTime());
      },
    ), { numRuns: 1000 });
  });

  test('epoch digits in every unit read back exactly', () => {
    fc.assert(fc.property(fc.integer({ min: -8.64e15 + 1, max: 8.64e15 }), (ms) => {
      assert.equal(parseTime(String(ms), 'epoch_ms'), ms);
      assert.equal(parseTime(`${ms}123`, 'epoch_us'), ms >= 0 ? ms : ms - 1);
      assert.equal(parseTime(`${ms}000000`, 'epoch_ns'), ms);
    }), { numRuns: 1000 });
  });
});
