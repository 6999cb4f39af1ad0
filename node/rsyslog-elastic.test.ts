import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, postJson, startTestNode, type TestNode, TEST_ADMIN_PASSWORD, waitFor } from './testing.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const skip = existsSync(RSYSLOGD) && existsSync('/usr/bin/logger') ? false : 'rsyslogd or logger not installed (Debian packages rsyslog, rsyslog-elasticsearch, bsdutils)';

/**
 * Debian's rsyslog relaying to the node two ways at once: its omelasticsearch module, in bulk mode, to the node's
 * `_bulk` endpoint, and omfwd forwarding over TCP (octet-counted RFC 5424) to the node's syslog port. Lines given
 * to rsyslog over TCP by util-linux `logger` must all be found by search in both indices.
 */
describe('rsyslog to the node: omelasticsearch in bulk mode, and omfwd to the syslog port', { skip }, () => {
  let node: TestNode;
  let rsyslog: ChildProcess;
  let dir: string;
  let inPort: number;
  const stderr: string[] = [];

  before(async () => {
    node = await startTestNode({ syslogPort: 0, syslogIndex: 'rsyslog-fwd' });
    dir = mkdtempSync(join(tmpdir(), 'strata-rsyslog-es-'));
    inPort = await freePort();
    const esPort = new URL(node.url).port;
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      `global(workDirectory="${dir}")
module(load="imtcp")
module(load="omelasticsearch")
template(name="strata-json" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="programname" format="jsonf")
  property(outname="level" name="syslogseverity-text" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}
ruleset(name="to-strata") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${esPort}" searchIndex="rsyslog-es" bulkmode="on"
         uid="admin" pwd="${TEST_ADMIN_PASSWORD}"
         template="strata-json" queue.type="linkedlist" queue.dequeueBatchSize="200" action.resumeRetryCount="-1")
  action(type="omfwd" target="127.0.0.1" port="${node.syslogPort}" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format" queue.type="linkedlist" action.resumeRetryCount="-1")
}
input(type="imtcp" port="${inPort}" address="127.0.0.1" ruleset="to-strata")
`,
    );
    rsyslog = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    rsyslog.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    // rsyslog is ready once its TCP input accepts connections.
    await waitFor(
      async () => {
        const { connect } = await import('node:net');
        return new Promise((ok) => {
          const s = connect(inPort, '127.0.0.1', () => (s.end(), ok(true)));
          s.on('error', () => ok(false));
        });
      },
      15_000,
      `rsyslogd to listen (stderr: ${stderr.join('')})`,
    );
  });

  after(async () => {
    rsyslog?.kill('SIGKILL');
    await node?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every line logged through rsyslog reaches the node both ways and is found by search', async () => {
    const n = 300;
    const lines = Array.from({ length: n }, (_, i) => `rsyslog-es line ${i} <b>markup</b> "quoted"`);
    // One logger process, one TCP connection, many lines (from stdin).
    execFileSync('/usr/bin/logger', ['-n', '127.0.0.1', '-P', String(inPort), '--tcp', '--octet-count', '-t', 'strata-test', '-p', 'local3.err'], {
      input: lines.join('\n') + '\n',
    });
    let hits: Record<string, unknown>[] = [];
    await waitFor(
      async () => {
        const r = await postJson(`${node.url}/api/v1/search`, { index: '*', query: 'app:"strata-test"', size: 1000 });
        hits = r.status === 200 ? (r.json.hits as Record<string, unknown>[]) : [];
        return hits.length >= 2 * n;
      },
      20_000,
      () => `${2 * n} lines via rsyslog (found ${hits.length}; rsyslog stderr: ${stderr.join('').slice(0, 500)})`,
    );
    assert.equal(hits.length, 2 * n);
    const es = hits.filter((h) => h._index === 'rsyslog-es');
    const fwd = hits.filter((h) => h._index === 'rsyslog-fwd');
    assert.deepEqual(new Set(es.map((h) => h.message)), new Set(lines));
    assert.deepEqual(new Set(fwd.map((h) => h.message)), new Set(lines));
    assert.equal(es.length, n, 'no line twice through _bulk');
    assert.equal(fwd.length, n, 'no line twice through the syslog port');
    for (const h of es) {
      assert.equal(h.level, 'err');
      assert.equal(h.app, 'strata-test');
    }
    for (const h of fwd) {
      assert.equal(h.level, 'error');
      assert.equal(h.facility, 'local3');
      assert.equal(h.app, 'strata-test');
    }
  });
});
