import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Agent, startAgent } from './agent.ts';
import { parseAgentConfig } from './config.ts';
import { cursorId, mapEntry } from './inputs/journald-entry.ts';
import { CURSORS_FILE } from './journal-cursors.ts';
import { TEST_AUTH, type Hit, JOURNAL_REMOTE as REMOTE, JournalWriter, type Node, searchAll, startNode, tempDir, waitFor } from './testing.ts';

/**
 * The journald input against the real journalctl, reading journal files made with systemd-journal-remote from the
 * journal export format and appended to while the agent follows them.
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('journal entries into records', () => {
  test('the mapped fields; bytes that are not UTF-8; a field given twice; trusted fields left out', () => {
    const e = mapEntry(
      {
        __CURSOR: 's=ab12;i=1f;b=x;m=1;t=2;x=3',
        __REALTIME_TIMESTAMP: '1795968332756390',
        __MONOTONIC_TIMESTAMP: '1000',
        _BOOT_ID: '0123456789abcdef0123456789abcdef',
        MESSAGE: [99, 97, 102, 195, 169, 32, 255, 33],
        PRIORITY: '3',
        _HOSTNAME: 'web-1',
        _SYSTEMD_UNIT: 'app.service',
        _PID: '42',
        _COMM: 'app',
        SYSLOG_IDENTIFIER: 'app',
        CODE_FILE: 'x.c',
        MULTI: ['one', [116, 119, 111]],
      },
      'agent-host',
    );
    assert.deepEqual(e, {
      tsMs: 1795968332756,
      cursor: 's=ab12;i=1f;b=x;m=1;t=2;x=3',
      fields: {
        message: 'café \ufffd!',
        level: 'error',
        'host.name': 'web-1',
        'systemd.unit': 'app.service',
        'process.pid': 42,
        'syslog.identifier': 'app',
        'journald.code_file': 'x.c',
        'journald.multi': '["one","two"]',
      },
    });
    const bare = mapEntry({ MESSAGE: ['a', 'b'], PRIORITY: '7' }, 'agent-host');
    assert.deepEqual(bare, { tsMs: null, cursor: null, fields: { message: 'a\nb', level: 'debug', 'host.name': 'agent-host' } });
  });

  test('ids from cursors: seqnum id and seqnum; a cursor without them by its hash', () => {
    assert.deepEqual(cursorId('s=415edc285a3c421789a4c7af2a5068f6;i=1f;b=0123;m=3e8;t=6616;x=f02'), { key: '415edc285a3c421789a4c7af2a5068f6', seq: 31 });
    const odd = cursorId('something else');
    assert.match(odd.key, /^[0-9a-f]{32}$/);
    assert.equal(odd.seq, 0);
  });

  test('config: checked, relative paths follow the config file', () => {
    const output = { urls: ['http://127.0.0.1:9400'], index: 'j' };
    const bad = (inputs: unknown[], re: RegExp, registry: string | null = '/r') =>
      assert.throws(() => parseAgentConfig({ ...(registry === null ? {} : { registry }), inputs, output }, 'cfg'), (e: Error) => (assert.match(e.message, re), true));
    bad([{ type: 'journald' }], /registry: required with a journald input/, null);
    bad([{ type: 'journald', directory: '/d', files: ['/f'] }], /inputs\.0\.files: give directory or files, not both/);
    bad([{ type: 'journald' }, { type: 'journald', id: 'journald-0' }], /inputs\.1\.id: another journald input is already "journald-0"/);
    bad([{ type: 'journald', priority: 'loud' }], /inputs\.0\.priority/);
    bad([{ type: 'journald', unit: ['x'] }], /inputs\.0\.unit: unknown key/);
    const cfg = parseAgentConfig({ registry: '/r', inputs: [{ type: 'journald', directory: 'j', journalctl: './bin/journalctl', units: ['a.service'], priority: 'warning' }], output }, 'cfg', '/etc/strata');
    const j = cfg.inputs[0];
    assert.ok(j.type === 'journald');
    assert.equal(j.directory, '/etc/strata/j');
    assert.equal(j.journalctl, '/etc/strata/bin/journalctl');
    assert.equal(j.from, 'end');
  });
});

describe('agent: journald input', { skip: !existsSync(REMOTE) && `needs ${REMOTE} (Debian: systemd-journal-remote)` }, () => {
  const dir = tempDir('journald');
  let node: Node;
  const started: Agent[] = [];
  const logs: string[] = [];
  let n = 0;
  /** An agent on a journal directory of its own; `index` is where its records go. */
  const start = async (journal: string, registry: string, index: string, input: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => {
    const cfg = parseAgentConfig(
      {
        registry: { path: registry, write_interval_ms: 20 },
        inputs: [{ type: 'journald', directory: journal, restart: { initial_backoff_ms: 50, max_backoff_ms: 200 }, ...input }],
        output: { urls: [node.url], index, auth: TEST_AUTH, batch: { max_records: 100, max_wait_ms: 30 }, retry: { initial_backoff_ms: 20, max_backoff_ms: 200 } },
        host_name: 'collector',
        heartbeat: { enabled: false },
        ...over,
      },
      'test',
    );
    const a = await startAgent(cfg, (m) => logs.push(m));
    started.push(a);
    return a;
  };
  const fresh = (what: string) => {
    const d = join(dir.path, `${what}-${n++}`);
    mkdirSync(join(d, 'journal'), { recursive: true });
    return { journal: join(d, 'journal'), registry: join(d, 'registry'), file: join(d, 'journal', 'x.journal') };
  };
  /** Hits of `index` by message, failing on a message seen twice. */
  const found = async (index: string): Promise<Map<string, Hit>> => {
    const byMessage = new Map<string, Hit>();
    for (const h of await searchAll(node.url, index)) {
      assert.ok(!byMessage.has(h.message), `${h.message} stored twice`);
      byMessage.set(h.message, h);
    }
    return byMessage;
  };
  const waitCount = (index: string, want: number, ms = 10_000) => waitFor(async () => (await searchAll(node.url, index)).length >= want, ms, () => `${want} records in ${index}`);

  before(async () => {
    node = await startNode(join(dir.path, 'node'));
  });
  after(async () => {
    for (const a of started) await a.close();
    await node.close();
    dir.remove();
  });

  test('entries arrive with the mapped fields, from the beginning, then as they are appended; a priority filter', async () => {
    const d = fresh('fields');
    const w = new JournalWriter('f', d.file, (seq) => ({
      PRIORITY: String(seq % 8),
      _HOSTNAME: 'web-1',
      _SYSTEMD_UNIT: 'app.service',
      _PID: String(1000 + seq),
      SYSLOG_IDENTIFIER: 'app',
      CODE_LINE: String(seq),
      ...(seq === 3 ? { MESSAGE: Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x20, 0x33]) } : {}),
    }));
    await w.write(40);
    const all = await start(d.journal, d.registry, 'j-fields', { from: 'beginning', fields: { dc: 'eu-1' } });
    await waitCount('j-fields', 40);
    await w.write(24);
    await waitCount('j-fields', 64);
    const hits = await found('j-fields');
    assert.equal(hits.size, 64);
    const h = hits.get(w.message(10))!;
    assert.equal(h.level, 'crit');
    assert.equal(h['host.name'], 'web-1');
    assert.equal(h['systemd.unit'], 'app.service');
    assert.equal(h['process.pid'], 1010);
    assert.equal(h['syslog.identifier'], 'app');
    assert.equal(h['journald.code_line'], '10');
    assert.equal(h['input.type'], 'journald');
    assert.equal(h.dc, 'eu-1');
    assert.equal(h._BOOT_ID, undefined);
    assert.ok(Math.abs(Date.parse(h['@timestamp'] as string) - Date.now()) < 60_000);
    assert.match(h._id, /^[0-9a-f]{32}-\d+$/);
    assert.ok(hits.has('bin\ufffd 3'), 'the non-UTF-8 message, decoded lossily');
    assert.equal(all.stats().journalctlFailures, 0);

    // Only warning and more urgent (0-4): the same journal, another agent.
    const d2 = { registry: join(d.registry, '..', 'registry-2') };
    await start(d.journal, d2.registry, 'j-prio', { from: 'beginning', priority: 'warning' });
    await waitCount('j-prio', 40);
    await pause(300);
    const prio = await found('j-prio');
    assert.equal(prio.size, 40, '5 of every 8 entries');
    assert.ok([...prio.values()].every((x) => ['emerg', 'alert', 'crit', 'error', 'warning'].includes(x.level as string)));
  });

  test('from: end skips what is there; a restart resumes after the acknowledged cursor: nothing lost, nothing sent twice', async () => {
    const d = fresh('restart');
    const w = new JournalWriter('r', d.file);
    await w.write(30);
    const a = await start(d.journal, d.registry, 'j-restart');
    await pause(500);
    await w.write(50);
    await waitCount('j-restart', 50);
    await a.close();
    const cursors = readFileSync(join(d.registry, CURSORS_FILE), 'utf8');
    assert.match(cursors, /^STRATA-AGENT-JOURNALD 1 [0-9a-f]{16}\n\{"id":"journald-0","cursor":"s=[0-9a-f]+;i=50;/);
    await w.write(70);
    const b = await start(d.journal, d.registry, 'j-restart');
    await waitCount('j-restart', 120);
    await pause(300);
    const hits = await found('j-restart');
    assert.equal(hits.size, 120);
    assert.ok(!hits.has(w.message(29)) && hits.has(w.message(30)) && hits.has(w.message(149)));
    const s = b.stats();
    assert.equal(s.duplicates, 0, 'the second run sent nothing the first had shipped');
    assert.equal(s.stored, 70);
  });

  test('journalctl missing: a clear error, counted and retried; the agent keeps running and closes cleanly', async () => {
    const d = fresh('missing');
    const before = logs.length;
    const a = await start(d.journal, d.registry, 'j-missing', { journalctl: join(d.journal, 'no-such-journalctl') });
    await waitFor(() => a.stats().journalctlFailures >= 3, 5000, 'three failed starts');
    const said = logs.slice(before).find((m) => m.includes('no-such-journalctl'));
    assert.match(said ?? '', /journald input "journald-0": cannot run \S+no-such-journalctl \(not found\): install journalctl .*; starting journalctl again in \d+ ms/);
    await a.close();
  });

  test('journalctl exits (a journal directory that does not exist): logged with what it said, and started again', async () => {
    const d = fresh('gone');
    const before = logs.length;
    const a = await start(join(d.journal, 'nope'), d.registry, 'j-gone');
    await waitFor(() => a.stats().journalctlFailures >= 2, 5000, 'two exits');
    assert.ok(logs.slice(before).some((m) => /journalctl exited with code 1: .*nope/.test(m)), logs.slice(before).join('\n'));
    await a.close();
  });
});
