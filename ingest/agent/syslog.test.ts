import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type Agent, startAgent } from './agent.ts';
import { parseAgentConfig } from './config.ts';
import { SyslogFramer } from './inputs/syslog-framing.ts';
import { parseSyslog } from './inputs/syslog-parse.ts';
import { type Node, searchAll, startNode, tempDir, waitFor, TEST_AUTH } from './testing.ts';

/** The syslog input: its parser and framing case by case, then util-linux `logger` sending to a real agent. */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('syslog parsing', () => {
  const cases: [string, { tsMs: number | null; fields: Record<string, unknown> }][] = [
    [
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][b x="a \\"q\\" \\] z"] \ufeffAn application event',
      { tsMs: Date.UTC(2003, 9, 11, 22, 14, 15, 3), fields: { level: 'notice', facility: 'local4', host: 'mymachine.example.com', app: 'evntslog', pid: 1234, msgid: 'ID47', 'sd.exampleSDID@32473.iut': '3', 'sd.exampleSDID@32473.eventSource': 'Application', 'sd.b.x': 'a "q" ] z', message: 'An application event' } },
    ],
    ['<34>1 - - su - - - no time, nil everything', { tsMs: null, fields: { level: 'crit', facility: 'auth', app: 'su', message: 'no time, nil everything' } }],
    ['<13>1 2026-11-29T15:20:06.871221+01:00 vm myapp - - [timeQuality tzKnown="1"] one', { tsMs: Date.UTC(2026, 10, 29, 14, 20, 6, 871), fields: { level: 'notice', facility: 'user', host: 'vm', app: 'myapp', 'sd.timeQuality.tzKnown': '1', message: 'one' } }],
    ['<13>Nov 29 15:20:06 vm app3[20087]: hello3', { tsMs: null, fields: { level: 'notice', facility: 'user', 'syslog.timestamp': 'Nov 29 15:20:06', host: 'vm', app: 'app3', pid: 20087, message: 'hello3' } }],
    ['<13>Nov  2 01:02:03 cron: no host here', { tsMs: null, fields: { level: 'notice', facility: 'user', 'syslog.timestamp': 'Nov  2 01:02:03', app: 'cron', message: 'no host here' } }],
    ['<191>kernel: tag only', { tsMs: null, fields: { level: 'debug', facility: 'local7', app: 'kernel', message: 'tag only' } }],
    ['no pri, no tag, just text', { tsMs: null, fields: { message: 'no pri, no tag, just text' } }],
    ['<999>out of range', { tsMs: null, fields: { message: 'out of range' } }],
    ['<13>1 not-a-time host app - - - kept whole', { tsMs: null, fields: { level: 'notice', facility: 'user', message: '1 not-a-time host app - - - kept whole' } }],
    ['<13>1 2003-10-11T22:14:15Z h a - - [broken sd', { tsMs: Date.UTC(2003, 9, 11, 22, 14, 15), fields: { level: 'notice', facility: 'user', host: 'h', app: 'a', message: '[broken sd' } }],
  ];
  for (const [msg, want] of cases) test(JSON.stringify(msg).slice(0, 90), () => assert.deepEqual(parseSyslog(msg), want));
});

describe('syslog TCP framing', () => {
  const frames = (chunks: string[], max = 1000) => {
    const got: string[] = [];
    const f = new SyslogFramer(max, (b, s, e) => got.push(b.toString('utf8', s, e)));
    for (const c of chunks) f.push(Buffer.from(c));
    f.end();
    return { got, cut: f.bytesCut };
  };
  test('newline framing, split anywhere; a last message without newline at the end', () => {
    assert.deepEqual(frames(['<13>a\n<13', '>b\n\n<13>c']).got, ['<13>a', '<13>b', '', '<13>c']);
  });
  test('octet counting, split inside the count and the message, mixed with newline framing', () => {
    assert.deepEqual(frames(['5 <13>a1', '0 <13>b\nc', 'def<13>c\n']).got, ['<13>a', '<13>b\ncdef', '<13>c']);
  });
  test('over max: cut, the rest of the frame skipped (both framings)', () => {
    const r = frames(['12 <13>abcdefgh', 'X\n<13>0123456789abcdef\n<13>ok\n'], 8);
    assert.deepEqual(r.got, ['<13>abcd', 'X', '<13>0123', '<13>ok']);
    assert.equal(r.cut, 4 + 12);
  });
});

describe('agent: syslog listeners', () => {
  const dir = tempDir('syslog');
  let node: Node;
  const started: Agent[] = [];
  const start = async (inputs: unknown[], over: Record<string, unknown> = {}, url?: string) => {
    const cfg = parseAgentConfig(
      { inputs, output: { urls: [url ?? node.url], index: 'syslog', auth: TEST_AUTH, batch: { max_wait_ms: 50 }, retry: { initial_backoff_ms: 20, max_backoff_ms: 200 } }, host_name: 'collector', ...over },
      'test',
    );
    const a = await startAgent(cfg, () => {});
    started.push(a);
    return a;
  };
  before(async () => {
    node = await startNode(join(dir.path, 'node'));
  });
  after(async () => {
    for (const a of started) await a.close();
    await node.close();
    dir.remove();
  });
  const logger = (port: number, args: string[], input: string) =>
    new Promise<void>((ok, fail) => {
      const child = execFile('logger', ['--server', '127.0.0.1', '--port', String(port), ...args], (e) => (e ? fail(e) : ok()));
      child.stdin!.end(input);
    });
  const byTag = async (tag: string) => (await searchAll(node.url, 'syslog')).filter((h) => h.app === tag);

  test('logger over TCP (RFC 5424, newline and octet-counting framing) and UDP (RFC 3164): every message found, parsed', async () => {
    const agent = await start([
      { type: 'syslog', listen: '127.0.0.1:0', protocol: 'tcp', fields: { via: 'tcp' } },
      { type: 'syslog', listen: '127.0.0.1:0', protocol: 'udp', fields: { via: 'udp' } },
    ]);
    const [tcp, udp] = agent.ports.syslog;
    const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} message ${i}`).join('\n') + '\n';
    await logger(tcp, ['--tcp', '--rfc5424', '-t', 'tcpapp', '-p', 'local3.warning', '--sd-id', 'zoo@123', '--sd-param', 'tiger="hungry"'], lines('t', 500));
    await logger(tcp, ['--tcp', '--octet-count', '-t', 'octapp'], lines('o', 300));
    // UDP has no flow control: sent in small bursts, so that loopback's socket buffer never overflows.
    for (let k = 0; k < 4; k++) await logger(udp, ['--udp', '--rfc3164', '-t', 'udpapp', '-i'], lines(`u${k}`, 50));
    await waitFor(async () => (await searchAll(node.url, 'syslog')).length >= 1000, 10_000, 'a thousand messages');
    const t = await byTag('tcpapp');
    assert.equal(new Set(t.map((h) => h.message)).size, 500);
    const h = t.find((x) => x.message === 't message 7')!;
    assert.equal(h.level, 'warning');
    assert.equal(h.facility, 'local3');
    assert.equal(h['sd.zoo@123.tiger'], 'hungry');
    assert.equal(h['input.type'], 'syslog');
    assert.equal(h['host.name'], 'collector');
    assert.equal(h.via, 'tcp');
    assert.match(h['log.source.address'] as string, /^127\.0\.0\.1:\d+$/);
    assert.ok(Math.abs(Date.parse(h['@timestamp'] as string) - Date.now()) < 60_000, 'the time is the message\'s own');
    assert.equal(new Set((await byTag('octapp')).map((x) => x.message)).size, 300);
    const u = await byTag('udpapp');
    assert.equal(new Set(u.map((x) => x.message)).size, 200);
    assert.equal(typeof u[0].pid, 'number');
    assert.equal(u[0].via, 'udp');
    assert.equal(agent.stats().dropped.memory_full, 0);
  });

  test('at the memory bound, TCP senders are paused (and lose nothing), UDP datagrams are dropped and counted', async (t) => {
    // A node that is away at first.
    const dataDir = join(dir.path, 'late-node');
    const away = await startNode(dataDir);
    const { port, url } = away;
    await away.close();
    const agent = await start(
      [
        { type: 'syslog', listen: '127.0.0.1:0', protocol: 'tcp' },
        { type: 'syslog', listen: '127.0.0.1:0', protocol: 'udp' },
      ],
      { memory: { max_pending_bytes: 64 * 1024 }, output: { urls: [url], index: 'syslog-bp', auth: TEST_AUTH, batch: { max_bytes: 16 * 1024, max_wait_ms: 20 }, retry: { initial_backoff_ms: 20, max_backoff_ms: 100 } } },
      url,
    );
    const [tcp, udp] = agent.ports.syslog;
    const n = 3000;
    const sock = connect(tcp, '127.0.0.1');
    t.after(() => sock.destroy());
    await new Promise<void>((ok) => sock.once('connect', () => ok()));
    let i = 0;
    // Writes until the socket says its buffers are full: the agent stopped reading.
    const writeSome = () => {
      while (i < n) {
        if (!sock.write(`<14>1 2026-11-29T12:00:00Z h bp - - - backpressure message ${String(i++).padStart(5, '0')} ${'x'.repeat(200)}\n`)) return;
      }
      sock.end();
    };
    sock.on('drain', writeSome);
    writeSome();
    await waitFor(() => agent.stats().pendingBytes >= 64 * 1024, 5000, 'memory to fill');
    await pause(300);
    const read = agent.stats().linesRead;
    assert.ok(read < n, `only ${read} of ${n} read while the node is away`);
    assert.ok(agent.stats().peakPendingBytes < 64 * 1024 + 80 * 1024, `peak ${agent.stats().peakPendingBytes}`);
    const u = createSocket('udp4');
    for (let k = 0; k < 20; k++) u.send(`<14>dropped ${k}`, udp, '127.0.0.1');
    await waitFor(() => agent.stats().dropped.memory_full === 20, 5000, 'the datagrams to be counted as dropped');
    u.close();

    const back = await startNode(dataDir, port);
    t.after(() => back.close());
    await waitFor(async () => (await searchAll(back.url, 'syslog-bp')).length >= n, 20_000, () => `all ${n} messages (read ${agent.stats().linesRead})`);
    const seen = new Set((await searchAll(back.url, 'syslog-bp')).map((h) => h.message.slice(0, 30)));
    assert.equal(seen.size, n, 'each message once');
  });

  test('a port already taken is a clear error naming the input', async () => {
    const agent = await start([{ type: 'syslog', listen: '127.0.0.1:0', protocol: 'tcp' }]);
    await assert.rejects(start([{ type: 'syslog', listen: `127.0.0.1:${agent.ports.syslog[0]}`, protocol: 'tcp' }]), /the syslog input cannot listen on tcp 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });
});
