import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groundTruthFile, LOGHUB_SYSTEMS, type LoghubSystem, resolveDatasetsDir, sampleFile } from '../../../lib/datasets.ts';
import { parseTime } from '../timestamp.ts';
import { parseCsv } from '../../../lib/csv.ts';
import { compileGrok } from './grok.ts';
import { LOGHUB_FORMATS } from './library.ts';

/**
 * Every line of every Loghub 2k sample must match its LOGHUB_<SYSTEM> pattern and yield exactly the ground-truth
 * columns of `<S>_2k.log_structured.csv`. The original CSVs are the reference: the Loghub-2.0 corrected copies
 * (loghub-2k-corrected) fix templates only, and their header columns went through a float conversion (`081109` →
 * `81109`, PID `19939` → `19939.0`), so for the fields compared here they are the less faithful copy.
 */

const DATASETS = resolveDatasetsDir();
const haveLoghub = LOGHUB_SYSTEMS.every((s) => existsSync(sampleFile(DATASETS, s)) && existsSync(groundTruthFile(DATASETS, s)));
const skipLoghub = haveLoghub ? false : `Loghub samples not found in ${DATASETS} (set STRATA_DATASETS)`;
const APACHE_SAMPLE = join(DATASETS, 'apache_access_elastic', 'apache_logs');
const SHOP_SAMPLE = join(DATASETS, 'lnav-formats', 'logfile_shop_access_log.0');

/** Loghub CSV column → our field name (see the mapping in library.ts). */
const COLUMNS: Record<LoghubSystem, Record<string, string>> = {
  Android: { Date: 'date', Time: 'time', Pid: 'pid', Tid: 'thread', Level: 'level', Component: 'component', Content: 'message' },
  Apache: { Time: 'timestamp', Level: 'level', Content: 'message' },
  BGL: {
    Label: 'label', Timestamp: 'epoch', Date: 'date', Node: 'node', Time: 'timestamp', NodeRepeat: 'node_repeat', Type: 'type',
    Component: 'component', Level: 'level', Content: 'message',
  },
  HDFS: { Date: 'date', Time: 'time', Pid: 'pid', Level: 'level', Component: 'component', Content: 'message' },
  HPC: { LogId: 'log_id', Node: 'node', Component: 'component', State: 'state', Time: 'epoch', Flag: 'flag', Content: 'message' },
  Hadoop: { Date: 'date', Time: 'time', Level: 'level', Process: 'thread', Component: 'component', Content: 'message' },
  HealthApp: { Time: 'timestamp', Component: 'component', Pid: 'pid', Content: 'message' },
  Linux: { Month: 'month', Date: 'day', Time: 'time', Level: 'host', Component: 'component', PID: 'pid', Content: 'message' },
  Mac: {
    Month: 'month', Date: 'day', Time: 'time', User: 'host', Component: 'component', PID: 'pid', Address: 'address', Content: 'message',
  },
  OpenSSH: { Date: 'month', Day: 'day', Time: 'time', Component: 'host', Pid: 'pid', Content: 'message' },
  OpenStack: {
    Logrecord: 'log_file', Date: 'date', Time: 'time', Pid: 'pid', Level: 'level', Component: 'component', ADDR: 'context',
    Content: 'message',
  },
  Proxifier: { Time: 'timestamp', Program: 'program', Content: 'message' },
  Spark: { Date: 'date', Time: 'time', Level: 'level', Component: 'component', Content: 'message' },
  Thunderbird: {
    Label: 'label', Timestamp: 'epoch', Date: 'date', User: 'node', Month: 'month', Day: 'day', Time: 'time', Location: 'location',
    Component: 'component', PID: 'pid', Content: 'message',
  },
  Windows: { Date: 'date', Time: 'time', Level: 'level', Component: 'component', Content: 'message' },
  Zookeeper: { Date: 'date', Time: 'time', Level: 'level', Node: 'node', Component: 'component', Id: 'line', Content: 'message' },
};
const NOT_FIELDS = new Set(['LineId', 'EventId', 'EventTemplate']);

/** The first line's time of each sample, read by hand from the line (years inferred against NOW where absent). */
const NOW = Date.UTC(2026, 0, 1);
const FIRST_TIME: Record<LoghubSystem, string> = {
  Android: '2025-03-17T16:13:38.811Z',
  Apache: '2005-12-04T04:47:44.000Z',
  BGL: '2005-06-03T22:42:50.675Z',
  HDFS: '2008-11-09T20:36:15.000Z',
  HPC: '2004-02-26T14:12:22.000Z',
  Hadoop: '2015-10-18T18:01:47.978Z',
  HealthApp: '2017-12-23T22:15:29.606Z',
  Linux: '2025-06-14T15:16:01.000Z',
  Mac: '2025-07-01T09:00:55.000Z',
  OpenSSH: '2025-12-10T06:55:46.000Z',
  OpenStack: '2017-05-16T00:00:00.008Z',
  Proxifier: '2025-10-30T16:49:06.000Z',
  Spark: '2017-06-09T20:10:40.000Z',
  Thunderbird: '2005-11-09T20:01:01.000Z',
  Windows: '2016-09-28T04:30:30.000Z',
  Zookeeper: '2015-07-29T17:41:44.747Z',
};

function readLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // The Loghub files use CRLF (Proxifier LF); the patterns take trailing white space, and so would a \r, but the
  // ground truth was cut from stripped lines, so the test feeds the lines as a line splitter would hand them over.
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

describe('Loghub samples', { skip: skipLoghub }, () => {
  for (const system of LOGHUB_SYSTEMS) {
    test(`${system}: every line matches LOGHUB_${system.toUpperCase()} with the ground-truth fields and a timestamp`, (t) => {
      const { pattern, timestamp } = LOGHUB_FORMATS[system];
      assert.equal(pattern, `%{LOGHUB_${system.toUpperCase()}}`);
      const grok = compileGrok(pattern);
      const lines = readLines(sampleFile(DATASETS, system));
      const rows = parseCsv(readFileSync(groundTruthFile(DATASETS, system), 'utf8'));
      const header = rows[0];
      assert.equal(lines.length, 2000);
      assert.equal(rows.length - 1, lines.length, 'one ground-truth row per line');
      const columns = header.filter((c) => !NOT_FIELDS.has(c));
      assert.deepEqual(columns.map((c) => COLUMNS[system][c] !== undefined), columns.map(() => true), `unmapped column in ${columns}`);
      assert.deepEqual([...grok.fields].sort(), columns.map((c) => COLUMNS[system][c]).sort(), 'the pattern yields the CSV columns');

      const failures: string[] = [];
      let first = NaN;
      for (let i = 0; i < lines.length; i++) {
        const got = grok.match(lines[i]);
        if (got === null) {
          failures.push(`line ${i + 1} does not match: ${lines[i]}`);
          continue;
        }
        const row = rows[i + 1];
        assert.equal(row[0], String(i + 1), 'rows are in line order');
        for (let c = 0; c < header.length; c++) {
          if (NOT_FIELDS.has(header[c])) continue;
          const field = COLUMNS[system][header[c]];
          // An empty column is a capture that took no part (Linux lines without a PID, Mac without an address).
          const value = got[field] === undefined ? '' : String(got[field]);
          if (value !== row[c]) failures.push(`line ${i + 1} ${field}: got ${JSON.stringify(value)}, want ${JSON.stringify(row[c])}`);
        }
        for (const field of Object.keys(got)) {
          if (typeof got[field] === 'number') assert.ok(Number.isSafeInteger(got[field]), `${field} converted to an int`);
        }
        const text = timestamp.fields.map((f) => got[f]).join(' ');
        const ts = parseTime(text, timestamp.format, { timezone: timestamp.timezone, nowMs: NOW });
        if (Number.isNaN(ts)) failures.push(`line ${i + 1}: time "${text}" does not parse as ${timestamp.format}`);
        if (i === 0) first = ts;
        // Where a line also carries epoch seconds, the time read from its text must be the same second.
        if (typeof got.epoch === 'number' && Math.floor(ts / 1000) !== got.epoch) {
          failures.push(`line ${i + 1}: time "${text}" is ${new Date(ts).toISOString()}, its epoch column ${got.epoch}`);
        }
      }
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failures`);
      assert.equal(new Date(first).toISOString(), FIRST_TIME[system]);

      for (const line of lines) grok.match(line);
      const start = performance.now();
      const rounds = 5;
      for (let r = 0; r < rounds; r++) for (const line of lines) grok.match(line);
      const perSecond = Math.round((rounds * lines.length) / ((performance.now() - start) / 1000));
      t.diagnostic(`${system}: ${perSecond.toLocaleString('en-US')} lines/s`);
    });
  }
});

test('APACHE_COMBINED matches every line of the elastic Apache sample', { skip: existsSync(APACHE_SAMPLE) ? false : `${APACHE_SAMPLE} not found` }, (t) => {
  const grok = compileGrok('%{APACHE_COMBINED}');
  const lines = readLines(APACHE_SAMPLE);
  assert.equal(lines.length, 10_000);
  const unmatched = lines.filter((l) => grok.match(l) === null);
  assert.deepEqual(unmatched, []);
  const statuses = new Set<number>();
  for (const line of lines) {
    const f = grok.match(line)!;
    assert.equal(typeof f['http.status'], 'number');
    statuses.add(f['http.status'] as number);
    assert.ok(!Number.isNaN(parseTime(f.timestamp as string, 'apache')), `time of ${line}`);
  }
  assert.ok(statuses.has(200) && statuses.has(404), 'statuses are read');
  t.diagnostic(`${lines.length} of ${lines.length} lines match`);
});

test('NGINX_COMBINED matches every line of lnav\'s shop access log (with "$http_x_forwarded_for")', { skip: existsSync(SHOP_SAMPLE) ? false : `${SHOP_SAMPLE} not found` }, () => {
  const grok = compileGrok('%{NGINX_COMBINED}');
  const lines = readLines(SHOP_SAMPLE);
  assert.ok(lines.length >= 1000);
  assert.deepEqual(lines.filter((l) => grok.match(l) === null), []);
  assert.deepEqual(grok.match(lines[0]), {
    'client.ip': '54.36.149.41', 'user.ident': '-', 'user.name': '-', timestamp: '22/Jan/2019:03:56:14 +0330',
    'http.method': 'GET', 'url.original': lines[0].split(' ')[6], 'http.version': '1.1', 'http.status': 200, 'http.bytes': 30577,
    'http.referrer': '-', user_agent: 'Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)', 'http.forwarded_for': '-',
  });
});
