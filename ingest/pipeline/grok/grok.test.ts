import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../../../lib/errors.ts';
import { BASE_PATTERNS } from './base-patterns.ts';
import { compileGrok, GROK_MAX_TEXT_LENGTH } from './grok.ts';
import { GROK_LIBRARY } from './library.ts';

function configError(includes: string[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof StrataError, `not a StrataError: ${String(e)}`);
    assert.equal(e.code, 'invalid_config');
    for (const s of includes) assert.ok(e.message.includes(s), `message "${e.message}" lacks "${s}"`);
    return true;
  };
}

describe('compileGrok', () => {
  test('captures, conversions and field order', () => {
    const g = compileGrok('%{WORD:verb} %{INT:count:int} took %{NUMBER:secs:float}s %{WORD}');
    assert.deepEqual(g.fields, ['verb', 'count', 'secs']);
    assert.deepEqual(g.match('GET 42 took 0.25s ok'), { verb: 'GET', count: 42, secs: 0.25 });
    assert.deepEqual(g.match('GET -7 took 3s ok'), { verb: 'GET', count: -7, secs: 3 });
  });

  test('a value that does not convert stays a string', () => {
    const g = compileGrok('^%{NOTSPACE:a:int} %{NOTSPACE:b:float} %{NOTSPACE:c:int}$');
    assert.deepEqual(g.match('x1 1.2.3 99999999999999999999'), { a: 'x1', b: '1.2.3', c: '99999999999999999999' });
    assert.deepEqual(g.match('007 1e3 -0'), { a: 7, b: 1000, c: -0 });
    assert.deepEqual(compileGrok('%{NOTSPACE:a:string}').match('12'), { a: '12' });
  });

  test('dotted field names', () => {
    const g = compileGrok('^%{IP:client.ip} %{INT:http.status:int} %{WORD:http.method}$');
    assert.deepEqual(g.fields, ['client.ip', 'http.status', 'http.method']);
    assert.deepEqual(g.match('10.0.0.1 404 GET'), { 'client.ip': '10.0.0.1', 'http.status': 404, 'http.method': 'GET' });
  });

  test('no match is null, and a pattern is anchored only where its author anchors it', () => {
    assert.equal(compileGrok('^%{INT:n}$').match('abc 12 def'), null);
    assert.deepEqual(compileGrok('%{INT:n:int}').match('abc 12 def'), { n: 12 });
    assert.deepEqual(compileGrok('^%{WORD:w}').match('abc 12'), { w: 'abc' });
    assert.equal(compileGrok('^%{WORD:w}$').match('abc 12'), null);
  });

  test('groups that did not take part, and empty captures, are left out; a "-" is kept', () => {
    const g = compileGrok('^(?:%{INT:n:int}|%{WORD:w})(?: %{NOTSPACE:x})?:%{DATA:empty}$');
    assert.deepEqual(g.fields, ['n', 'w', 'x', 'empty']);
    assert.deepEqual(g.match('12:'), { n: 12 });
    assert.deepEqual(g.match('abc -:'), { w: 'abc', x: '-' });
  });

  test('one field captured in alternatives, the first that took part winning', () => {
    const g = compileGrok('^(?:%{IPV4:ip}|%{IPV6:ip}|%{HOSTNAME:ip})$');
    assert.deepEqual(g.fields, ['ip']);
    assert.deepEqual(g.match('::1'), { ip: '::1' });
    assert.deepEqual(g.match('1.2.3.4'), { ip: '1.2.3.4' });
    assert.deepEqual(g.match('example.org'), { ip: 'example.org' });
  });

  test('raw named groups capture too, and their backreferences follow them', () => {
    const g = compileGrok('^(?<q>["\'])%{DATA:text}\\k<q> (?<rest>.*)$');
    assert.deepEqual(g.fields, ['q', 'text', 'rest']);
    assert.deepEqual(g.match('\'a "b" c\' tail'), { q: "'", text: 'a "b" c', rest: 'tail' });
    assert.equal(g.match('\'a" tail'), null);
    // %{ inside a character class or escaped is text, not a reference.
    assert.deepEqual(compileGrok('^[%{]+\\%\\{(?<x>\\w+)$').match('{%{ab'), { x: 'ab' });
  });

  test('extra patterns are referenced, recursively, and may shadow library names', () => {
    const extra = { DURATION: '%{NUMBER:duration.value:float}%{UNIT:duration.unit}', UNIT: '(?:ms|s)', WORD: '[a-z]+' };
    const g = compileGrok('^%{DURATION} %{WORD:w}$', extra);
    assert.deepEqual(g.match('1.5ms abc'), { 'duration.value': 1.5, 'duration.unit': 'ms', w: 'abc' });
    assert.equal(g.match('1.5ms ABC'), null);
  });

  test('an unknown reference is a config error naming it and its position', () => {
    assert.throws(() => compileGrok('%{WORD:a} %{NOPE:b}'), configError(['%{NOPE}', 'position 10']));
    assert.throws(() => compileGrok('%{constructor}'), configError(['%{constructor}', 'position 0']));
    assert.throws(() => compileGrok('xx %{OUTER}', { OUTER: 'a %{INNER}', INNER: '%{MISSING}' }),
      configError(['%{MISSING}', 'pattern INNER', 'position 3', 'OUTER → INNER']));
  });

  test('a cycle is a config error naming it', () => {
    assert.throws(() => compileGrok('%{A}', { A: 'x%{B}', B: '%{C}', C: '%{A}' }), configError(['A → B → C → A']));
    assert.throws(() => compileGrok('%{SELF}', { SELF: 'a|%{SELF}' }), configError(['SELF → SELF']));
  });

  test('malformed references, field names, conversions and regexes are config errors', () => {
    assert.throws(() => compileGrok('abc %{WORD'), configError(['unterminated', 'position 4']));
    assert.throws(() => compileGrok('%{WORD:a:bool}'), configError(['conversion "bool"']));
    assert.throws(() => compileGrok('%{WORD:a b}'), configError(['field name "a b"']));
    assert.throws(() => compileGrok('%{WO-RD}'), configError(['%{WO-RD}']));
    assert.throws(() => compileGrok('%{WORD:a:int:x}'), configError(['%{WORD:a:int:x}']));
    assert.throws(() => compileGrok('(%{WORD}'), configError(['not a valid regular expression']));
    assert.throws(() => compileGrok('(?<a.b>x)'), configError(['group name "a.b"']));
    assert.throws(() => compileGrok('%{WORD:__proto__}'), configError(['field name "__proto__"']));
  });

  test('texts over the length cap never match', () => {
    const g = compileGrok('^%{WORD:w}');
    assert.deepEqual(g.match('a'.repeat(GROK_MAX_TEXT_LENGTH)), { w: 'a'.repeat(GROK_MAX_TEXT_LENGTH) });
    assert.equal(g.match('a'.repeat(GROK_MAX_TEXT_LENGTH + 1)), null);
  });

  test('%{INT:n:int} round-trips any safe integer, and keeps larger ones as their text', () => {
    const g = compileGrok('^%{INT:n:int}$');
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => {
      assert.deepEqual(g.match(String(n)), { n });
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.bigInt(), (n) => {
      const got = g.match(String(n))!.n;
      if (Number.isSafeInteger(Number(n))) assert.equal(got, Number(n));
      else assert.equal(got, String(n));
    }), { numRuns: 500 });
  });
});

describe('base patterns', () => {
  test('every base and library pattern compiles', () => {
    for (const name of [...Object.keys(BASE_PATTERNS), ...Object.keys(GROK_LIBRARY)]) {
      assert.doesNotThrow(() => compileGrok(`%{${name}}`), name);
    }
  });

  // check(pattern, text, whether `^%{PATTERN}$` matches it)
  const cases: [string, string, boolean][] = [
    ['WORD', 'abc_12', true], ['WORD', 'a b', false],
    ['INT', '-12', true], ['INT', '1.5', false],
    ['NUMBER', '3.25', true], ['NUMBER', '-.5', true], ['NUMBER', '1e', false],
    ['POSINT', '10', true], ['POSINT', '0', false], ['NONNEGINT', '0', true],
    ['BASE16NUM', '0x1F', true],
    ['IPV4', '192.168.0.255', true], ['IPV4', '256.1.1.1', false], ['IPV4', '1.2.3', false],
    ['IPV6', '2001:db8::1', true], ['IPV6', '::', true], ['IPV6', '::1', true], ['IPV6', 'fe80::1%eth0', true],
    ['IPV6', '1:2:3:4:5:6:7:8', true], ['IPV6', '1:2:3:4:5:6:7::', true], ['IPV6', '::ffff:192.0.2.1', true],
    ['IPV6', '64:ff9b::192.0.2.33', true], ['IPV6', '1:2:3:4:5:6:192.0.2.1', true],
    ['IPV6', '1:2:3:4:5:6:7:8:9', false], ['IPV6', '1::2::3', false], ['IPV6', ':::', false], ['IPV6', '12345::', false],
    ['IP', '10.0.0.1', true], ['IP', '::1', true],
    ['HOSTNAME', 'web-1.example.org', true], ['HOSTNAME', 'example.org.', true], ['HOSTNAME', '-bad.org', false],
    ['IPORHOST', 'combo', true], ['HOSTPORT', 'proxy.cse.cuhk.edu.hk:5070', true], ['HOSTPORT', '[::1]:80', false],
    ['MAC', '00:1a:2B:3c:4d:5e', true], ['MAC', '001a.2b3c.4d5e', true],
    ['USERNAME', 'john.doe-1', true], ['EMAILADDRESS', 'a.b+c@example.org', true],
    ['UUID', '38101a0b-2096-447d-96ea-a692162415ae', true], ['UUID', '38101a0b-2096-447d-96ea', false],
    ['PATH', '/var/log/syslog', true], ['PATH', 'C:\\Windows\\winsxs\\cbscore.dll', true], ['PATH', 'relative/x', false],
    ['URIPATHPARAM', '/a/b.html?x=1&y=%20', true],
    ['URI', 'https://user:pw@example.org:8443/p/a?q=1#f', true], ['URI', 'http://[::1]/x', false], ['URI', 'no-scheme', false],
    ['QUOTEDSTRING', '"a \\"b\\" c"', true], ['QUOTEDSTRING', "'it''", false], ['QUOTEDSTRING', '`x`', true],
    ['MONTH', 'Jan', true], ['MONTH', 'September', true], ['MONTH', 'Sept', true], ['MONTH', 'Janx', false],
    ['MONTHNUM', '09', true], ['MONTHNUM', '13', false], ['MONTHDAY', '31', true], ['MONTHDAY', '32', false],
    ['DAY', 'Sun', true], ['DAY', 'Thursday', true], ['YEAR', '2005', true],
    ['TIME', '15:16:01', true], ['TIME', '15:16:01.123', true], ['TIME', '24:00:00', false], ['TIME', '1:2:3', false],
    ['HTTPDATE', '17/May/2015:10:05:03 +0000', true], ['HTTPDATE', '17/May/2015:10:05:03', false],
    ['SYSLOGTIMESTAMP', 'Jun  4 15:16:01', true], ['SYSLOGTIMESTAMP', 'Jun 14 15:16:01', true],
    ['TIMESTAMP_ISO8601', '2024-01-02T03:04:05.678+01:00', true], ['TIMESTAMP_ISO8601', '2024-01-02 03:04:05', true],
    ['TIMESTAMP_ISO8601', '2024-01-02T03:04:05Z', true], ['TIMESTAMP_ISO8601', '2024-01-02', false],
    ['DATESTAMP_ASCTIME', 'Sun Dec 04 04:47:44 2005', true],
    ['LOGLEVEL', 'INFO', true], ['LOGLEVEL', 'Warning', true], ['LOGLEVEL', 'err', true], ['LOGLEVEL', 'Informational', true],
    ['LOGLEVEL', 'INFOS', false],
    ['PROG', 'sshd(pam_unix)', true], ['PROG', 'a[1]', false],
    ['SYSLOGPROG', 'sshd(pam_unix)[19939]', true],
  ];
  test('table of matches and misses', () => {
    for (const [name, text, want] of cases) {
      assert.equal(compileGrok(`^%{${name}}$`).match(text) !== null, want, `%{${name}} on ${JSON.stringify(text)}`);
    }
  });

  test('IP patterns match every address fast-check makes, and not their neighbours', () => {
    const v4 = compileGrok('^%{IPV4:ip}$');
    const v6 = compileGrok('^%{IPV6:ip}$');
    const ip = compileGrok('^%{IP:ip}$');
    fc.assert(fc.property(fc.ipV4(), (a) => {
      assert.deepEqual(v4.match(a), { ip: a });
      assert.deepEqual(ip.match(a), { ip: a });
      assert.equal(v4.match(a + '.1'), null);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.ipV6(), (a) => {
      assert.deepEqual(v6.match(a), { ip: a });
      assert.deepEqual(ip.match(a), { ip: a });
      assert.equal(v6.match(a + ':1:2:3:4:5:6:7:8'), null);
    }), { numRuns: 2000 });
  });

  test('HOSTNAME and UUID match what fast-check makes', () => {
    const host = compileGrok('^%{HOSTNAME}$');
    const uuid = compileGrok('^%{UUID}$');
    fc.assert(fc.property(fc.domain(), (d) => assert.notEqual(host.match(d), null, d)), { numRuns: 500 });
    fc.assert(fc.property(fc.uuid(), (u) => assert.notEqual(uuid.match(u), null, u)), { numRuns: 200 });
  });
});

describe('library', () => {
  test('Apache and nginx access logs, common and combined', () => {
    const common = compileGrok('%{APACHE_COMMON}');
    assert.deepEqual(common.match('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'), {
      'client.ip': '127.0.0.1', 'user.ident': '-', 'user.name': 'frank', timestamp: '10/Oct/2000:13:55:36 -0700',
      'http.method': 'GET', 'url.original': '/apache_pb.gif', 'http.version': '1.0', 'http.status': 200, 'http.bytes': 2326,
    });
    assert.deepEqual(common.match('::1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 -'), {
      'client.ip': '::1', 'user.ident': '-', 'user.name': '-', timestamp: '10/Oct/2000:13:55:36 -0700', 'http.request': '-',
      'http.status': 408,
    });
    const combined = compileGrok('%{APACHE_COMBINED}');
    const line = '192.168.202.254 - - [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7"';
    assert.deepEqual(combined.match(line), {
      'client.ip': '192.168.202.254', 'user.ident': '-', 'user.name': '-', timestamp: '20/Jul/2009:22:59:29 +0000',
      'http.method': 'GET', 'url.original': '/vmw/vSphere/default/vmkboot.gz', 'http.version': '1.0', 'http.status': 404,
      'http.bytes': 46210, 'http.referrer': '-', user_agent: 'gPXE/0.9.7',
    });
    assert.equal(combined.match(line.replace('404', 'abc')), null);
    assert.equal(compileGrok('%{APACHE_COMBINED}').match(line + ' "-"'), null);
    const escaped = combined.match('1.2.3.4 - - [20/Jul/2009:22:59:29 +0000] "GET / HTTP/1.1" 200 1 "-" "say \\"hi\\""');
    assert.equal(escaped?.user_agent, 'say \\"hi\\"');
    const nginx = compileGrok('%{NGINX_COMBINED}');
    assert.deepEqual(nginx.match(line), combined.match(line));
    assert.equal(nginx.match(line + ' "10.0.0.1, 10.0.0.2"')?.['http.forwarded_for'], '10.0.0.1, 10.0.0.2');
  });

  test('syslog lines as files hold them', () => {
    const g = compileGrok('%{SYSLOG_LINE}');
    assert.deepEqual(g.match('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 '), {
      timestamp: 'Jun 14 15:16:01', host: 'combo', program: 'sshd(pam_unix)', pid: 19939,
      message: 'authentication failure; rhost=218.188.2.4',
    });
    assert.deepEqual(g.match('Jun  9 06:06:20 combo kernel: Linux version 2.6.5-1.358'), {
      timestamp: 'Jun  9 06:06:20', host: 'combo', program: 'kernel', message: 'Linux version 2.6.5-1.358',
    });
    assert.deepEqual(g.match('2024-01-02T03:04:05.123456+01:00 web-1 nginx[12]: started'), {
      timestamp: '2024-01-02T03:04:05.123456+01:00', host: 'web-1', program: 'nginx', pid: 12, message: 'started',
    });
    assert.deepEqual(g.match('Jun 14 15:16:01 10.0.0.5 no tag here'), {
      timestamp: 'Jun 14 15:16:01', host: '10.0.0.5', message: 'no tag here',
    });
    assert.equal(g.match('Foo 14 15:16:01 combo x: y'), null);
  });

  test('RFC 5424 text (the examples of RFC 5424 §6.5)', () => {
    const g = compileGrok('%{SYSLOG5424_LINE}');
    assert.deepEqual(g.match("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8"), {
      'syslog.priority': 34, 'syslog.version': 1, timestamp: '2003-10-11T22:14:15.003Z', host: 'mymachine.example.com',
      program: 'su', 'syslog.msgid': 'ID47', message: "'su root' failed for lonvick on /dev/pts/8",
    });
    assert.deepEqual(g.match('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ' +
      '[exampleSDID@32473 iutr="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'), {
      'syslog.priority': 165, 'syslog.version': 1, timestamp: '2003-10-11T22:14:15.003Z', host: 'mymachine.example.com',
      program: 'evntslog', 'syslog.msgid': 'ID47',
      'syslog.structured_data': '[exampleSDID@32473 iutr="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    });
    assert.deepEqual(g.match('1 - - - 8710 - [x@1 a="q\\"]"] \uFEFFhello'), {
      'syslog.version': 1, pid: 8710, 'syslog.structured_data': '[x@1 a="q\\"]"]', message: 'hello',
    });
    assert.equal(g.match('<34>1 2003-10-11T22:14:15.003Z host app - - [unterminated'), null);
  });

  test('Apache error log, 2.2 and 2.4', () => {
    const g = compileGrok('%{APACHE_ERROR}');
    assert.deepEqual(g.match('[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6'), {
      timestamp: 'Sun Dec 04 04:47:44 2005', level: 'error', message: 'mod_jk child workerEnv in error state 6',
    });
    assert.deepEqual(g.match('[Wed Oct 11 14:32:52.123456 2000] [core:trace3] [pid 35708:tid 4328636416] [client 72.15.99.187:5000] File does not exist'), {
      timestamp: 'Wed Oct 11 14:32:52.123456 2000', component: 'core', level: 'trace3', pid: 35708, thread: 4328636416,
      'client.ip': '72.15.99.187', 'client.port': 5000, message: 'File does not exist',
    });
  });

  test('no pattern backtracks badly on hostile text', () => {
    // Each text starts like a real line, cut at a token boundary, then repeats a fragment that makes the tempting
    // regex shapes (lazy groups separated by white space, nested repeats) backtrack. Linear patterns take well under
    // a millisecond per 16 KiB; the quadratic shapes this guards against took seconds.
    const samples: Record<string, string> = {
      APACHE_COMBINED: '83.149.9.216 - - [17/May/2015:10:05:43 +0000] "GET /a.png HTTP/1.1" 200 171717 "http://x/" "Mozilla/5.0 (X)"',
      SYSLOG_LINE: 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown',
      SYSLOG5424_LINE: '<165>1 2003-10-11T22:14:15.003Z host app 12 ID47 [a@1 b="c"] msg',
      APACHE_ERROR: '[Wed Oct 11 14:32:52 2000] [core:error] [pid 35708:tid 4] [client 72.15.99.187] File',
      LOGHUB_PROXIFIER: '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy',
      LOGHUB_MAC: 'Jul  1 09:29:02 calvisitor sandboxd[129] ([31211]): com.apple.Addres(31211) deny',
      LOGHUB_THUNDERBIRD: '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session',
      LOGHUB_HADOOP: '2015-10-18 18:01:47,978 INFO [main] org.apache.App: Created',
      LOGHUB_ZOOKEEPER: '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:2181:FastLeaderElection@774] - Notification',
      LOGHUB_ANDROID: '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezing',
      LOGHUB_OPENSTACK: 'nova-api.log 2017-05-16 00:00:00.008 25746 INFO nova.osapi [req-1 - - -] 10.11.10.1 "GET /v2"',
    };
    const fillers = [' ', ': ', '] ', '[1] (', '"', '\\"', 'a.', '1.1.1.', '::', '@1] - ', ' - ', '[', '|'];
    const size = 16 * 1024;
    let worst = 0;
    let worstCase = '';
    for (const [name, line] of Object.entries(samples)) {
      const g = compileGrok(`%{${name}}`);
      assert.notEqual(g.match(line), null, `${name} sample`);
      for (let cut = 0; cut <= line.length; cut++) {
        if (cut > 0 && cut < line.length && /\w/.test(line[cut]) === /\w/.test(line[cut - 1])) continue;
        for (const f of fillers) {
          const text = (line.slice(0, cut) + f.repeat(Math.ceil(size / f.length))).slice(0, size) + '\u2028x';
          const t0 = performance.now();
          g.match(text);
          const ms = performance.now() - t0;
          if (ms > worst) [worst, worstCase] = [ms, `${name} cut at ${cut} then ${JSON.stringify(f)}`];
        }
      }
    }
    assert.ok(worst < 250, `slowest: ${worst.toFixed(1)} ms for ${worstCase}`);
  });
});
