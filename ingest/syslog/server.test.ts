import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../../lib/errors.ts';
import type { Fields } from '../../lib/record.ts';
import type { DecodedBatch, Rejection } from '../batch.ts';
import { type SyslogServer, type SyslogServerOptions, startSyslogServer } from './server.ts';

const LOGGER = '/usr/bin/logger';
const RSYSLOGD = '/usr/sbin/rsyslogd';
const noLogger = existsSync(LOGGER) ? false : `${LOGGER} is absent (util-linux's logger; Debian package bsdutils)`;
const noRsyslog = existsSync(RSYSLOGD) ? noLogger : `${RSYSLOGD} is absent (Debian package rsyslog)`;

interface Got {
  ts: number;
  fields: Fields;
  transport: 'udp' | 'tcp';
}

/** A server on a free port that keeps what it is given. */
class Harness {
  readonly got: Got[] = [];
  readonly rejected: (Rejection & { transport: string })[] = [];
  readonly logs: string[] = [];
  server!: SyslogServer;
  /** Replaces storage: resolve to store, reject to refuse. */
  store: (batch: DecodedBatch) => Promise<void> = async () => {};

  async start(opts: Partial<SyslogServerOptions> = {}): Promise<this> {
    this.server = await startSyslogServer({
      host: '127.0.0.1',
      port: 0,
      maxRecordBytes: 64 * 1024,
      log: (m) => this.logs.push(m),
      maxBatchDelayMs: 5,
      ...opts,
      onBatch: async (batch, meta) => {
        await this.store(batch);
        batch.fields.forEach((fields, i) => this.got.push({ ts: batch.ts[i], fields: fields!, transport: meta.transport }));
        for (const r of batch.rejected) this.rejected.push({ ...r, transport: meta.transport });
      },
    });
    return this;
  }

  /** Waits until `done()` holds, failing with what arrived after `ms`. */
  async until(what: string, done: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.got.map((g) => g.fields).slice(-5))}, stats ${JSON.stringify(this.server.stats())}, logs ${JSON.stringify(this.logs)}`);
      await sleep(10);
    }
  }

  withMessage(m: string): Got | undefined {
    return this.got.find((g) => g.fields.message === m);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // TZ=UTC: logger writes RFC 3164 times in local time, and they carry no zone.
    const child = execFile(cmd, args, { env: { ...process.env, TZ: 'UTC' }, timeout: 5000 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve()));
    // logger exits without reading stdin when given the message as an argument.
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin ?? '');
  });
}

/** logger names the host by gethostname(), cut at the first dot in some modes. */
function assertHost(host: unknown): void {
  const full = os.hostname();
  assert.ok(host === full || host === full.split('.')[0], `host ${String(host)} vs ${full}`);
}

function tcpSend(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

function udpSend(port: number, ...datagrams: (string | Buffer)[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  return (async () => {
    for (const d of datagrams) await new Promise<void>((resolve, reject) => s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    s.close();
  })();
}

describe('syslog server with util-linux logger', { skip: noLogger }, () => {
  test('UDP and TCP, RFC 5424 and RFC 3164, newline and octet-counted framing', async () => {
    const h = await new Harness().start();
    try {
      const port = String(h.server.port);
      const cases: { name: string; args: string[]; transport: 'udp' | 'tcp'; rfc: '5424' | '3164' }[] = [
        { name: 'udp-5424', args: ['--udp', '--rfc5424'], transport: 'udp', rfc: '5424' },
        { name: 'udp-3164', args: ['--udp', '--rfc3164'], transport: 'udp', rfc: '3164' },
        { name: 'tcp-5424', args: ['--tcp', '--rfc5424'], transport: 'tcp', rfc: '5424' },
        { name: 'tcp-3164', args: ['--tcp', '--rfc3164'], transport: 'tcp', rfc: '3164' },
        { name: 'tcp-5424-octet', args: ['--tcp', '--rfc5424', '--octet-count'], transport: 'tcp', rfc: '5424' },
        { name: 'tcp-3164-octet', args: ['--tcp', '--rfc3164', '--octet-count'], transport: 'tcp', rfc: '3164' },
      ];
      const started = Date.now();
      const sent = cases.map((c) => ({ ...c, message: `strata ${c.name} é ✓ ${Math.random().toString(36).slice(2)}` }));
      await Promise.all(sent.map((c) => run(LOGGER, ['-n', '127.0.0.1', '-P', port, ...c.args, '-t', `strata-${c.name}`, '-p', 'local3.err', c.message])));
      await h.until('every logger message', () => sent.every((c) => h.withMessage(c.message)));
      for (const c of sent) {
        const g = h.withMessage(c.message)!;
        assert.equal(g.transport, c.transport, c.name);
        assert.equal(g.fields.app, `strata-${c.name}`, c.name);
        assert.equal(g.fields.level, 'error', c.name);
        assert.equal(g.fields.facility, 'local3', c.name);
        assertHost(g.fields.host);
        // RFC 3164 times have whole seconds.
        assert.ok(g.ts >= started - 1000 && g.ts <= Date.now(), `${c.name}: ts ${new Date(g.ts).toISOString()}`);
        if (c.rfc === '5424') assert.equal(g.fields['sd.timeQuality.tzKnown'], '1', c.name);
        else assert.equal(g.fields['sd.timeQuality.tzKnown'], undefined, c.name);
      }
      const st = h.server.stats();
      assert.equal(st.udp.messages, 2);
      assert.equal(st.tcp.messages, 4);
      assert.equal(st.stored, 6);
      assert.equal(st.warnings, 0);
      assert.deepEqual(st.rejected, {});
    } finally {
      await h.server.close();
    }
  });

  test('structured data, MSGID and PID, and many lines over one connection', async () => {
    const h = await new Harness().start();
    try {
      const port = String(h.server.port);
      const tag = 'strata-sd';
      await run(LOGGER, ['-n', '127.0.0.1', '-P', port, '--tcp', '--octet-count', '-t', 'strata-sd1', '-p', 'auth.warning', '--msgid', 'ID47', '--id=4242', '--sd-id', 'ex@32473', '--sd-param', 'q="say \\"hi\\" \\]"', 'with sd']);
      const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(i * 7)}`);
      await run(LOGGER, ['-n', '127.0.0.1', '-P', port, '--tcp', '-t', tag], lines.join('\n') + '\n');
      await run(LOGGER, ['-n', '127.0.0.1', '-P', port, '--tcp', '--octet-count', '-t', tag + '-oc'], lines.join('\n') + '\n');
      await h.until('all lines', () => h.got.length === 101);
      const sd = h.withMessage('with sd')!;
      assert.equal(sd.fields.app, 'strata-sd1');
      assert.equal(sd.fields.msgid, 'ID47');
      assert.equal(sd.fields.pid, 4242);
      assert.equal(sd.fields.level, 'warning');
      assert.equal(sd.fields.facility, 'auth');
      assert.equal(sd.fields['sd.ex@32473.q'], 'say "hi" ]');
      for (const app of [tag, tag + '-oc']) {
        assert.deepEqual(
          h.got.filter((g) => g.fields.app === app).map((g) => g.fields.message),
          lines,
          `${app}: every line, in order`,
        );
      }
    } finally {
      await h.server.close();
    }
  });
});

describe('syslog server with rsyslog forwarding', { skip: noRsyslog }, () => {
  test('rsyslog relays logger lines over TCP, octet-counted, in RFC 5424', async () => {
    const h = await new Harness().start();
    const dir = mkdtempSync(join(os.tmpdir(), 'strata-rsyslog-'));
    let rsyslog: ChildProcess | null = null;
    let stderr = '';
    try {
      const portFile = join(dir, 'imtcp.port');
      // Only an imtcp input and one forwarding action: no imuxsock or imklog, so the host's logging is untouched.
      writeFileSync(
        join(dir, 'rsyslog.conf'),
        [
          `global(workDirectory="${dir}")`,
          'module(load="imtcp")',
          `input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${portFile}")`,
          `action(type="omfwd" target="127.0.0.1" port="${h.server.port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`,
          '',
        ].join('\n'),
      );
      rsyslog = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
      rsyslog.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
      rsyslog.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => rsyslog!.once('exit', (code) => r(code)));
      const deadline = Date.now() + 5000;
      while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') {
        if (Date.now() > deadline || rsyslog.exitCode !== null) assert.fail(`rsyslogd did not start: ${stderr}`);
        await sleep(20);
      }
      const rsPort = readFileSync(portFile, 'utf8').trim();

      const id = Math.random().toString(36).slice(2);
      const lines = Array.from({ length: 20 }, (_, i) => `relayed ${id} ${i} é`);
      await run(LOGGER, ['-n', '127.0.0.1', '-P', rsPort, '--tcp', '--rfc5424', '-t', 'strata-rs5424', '-p', 'local3.err'], lines.slice(0, 10).join('\n') + '\n');
      // RFC 3164 into rsyslog: its %msg% keeps the space after the tag's colon, which must not reach the record.
      await run(LOGGER, ['-n', '127.0.0.1', '-P', rsPort, '--tcp', '--rfc3164', '--octet-count', '-t', 'strata-rs3164', '-p', 'daemon.info'], lines.slice(10).join('\n') + '\n');
      await h.until('every relayed line', () => lines.every((m) => h.withMessage(m)), 8000);
      lines.forEach((m, i) => {
        const g = h.withMessage(m)!;
        assert.equal(g.transport, 'tcp');
        assert.equal(g.fields.app, i < 10 ? 'strata-rs5424' : 'strata-rs3164', m);
        assert.equal(g.fields.level, i < 10 ? 'error' : 'info', m);
        assert.equal(g.fields.facility, i < 10 ? 'local3' : 'daemon', m);
        assertHost(g.fields.host);
        assert.ok(Math.abs(g.ts - Date.now()) < 60_000, m);
      });
      assert.equal(h.server.stats().warnings, 0, 'RFC 5424 from rsyslog parses without problems');
      assert.deepEqual(h.server.stats().rejected, {});
      rsyslog.kill('SIGTERM');
      const killer = setTimeout(() => rsyslog!.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    } finally {
      if (rsyslog !== null && rsyslog.exitCode === null && rsyslog.signalCode === null) rsyslog.kill('SIGKILL');
      await h.server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('syslog server', () => {
  test('UDP binds the port TCP picked; a taken port is an error a user can act on', async () => {
    const h = await new Harness().start();
    try {
      assert.ok(h.server.port > 0);
      await udpSend(h.server.port, '<13>1 - - - - - - over udp\n');
      await tcpSend(h.server.port, '<13>1 - - - - - - over tcp\n');
      await h.until('both', () => h.got.length === 2);
      assert.equal(h.withMessage('over udp')!.transport, 'udp');
      assert.equal(h.withMessage('over tcp')!.transport, 'tcp');
      await assert.rejects(
        startSyslogServer({ host: '127.0.0.1', port: h.server.port, maxRecordBytes: 1024, onBatch: async () => {}, log: () => {} }),
        (e: unknown) => e instanceof StrataError && e.code === 'invalid_config' && /the port is in use/.test(e.message) && e.message.includes(String(h.server.port)),
      );
    } finally {
      await h.server.close();
    }
  });

  test('garbage, oversize frames and a reset mid-frame affect only their own connection', async () => {
    const h = await new Harness().start({ maxRecordBytes: 200 });
    try {
      const port = h.server.port;
      const good = net.connect(port, '127.0.0.1');
      await new Promise((r) => good.once('connect', r));
      good.write('<13>1 - - - - - - good 1\n');
      await tcpSend(port, Buffer.concat([Buffer.from('12x garbage\n\0\0\xff\xfe'), Buffer.from([0, 1, 2, 3, 255, 10]), Buffer.from('<13>1 - - - - - - after garbage\n')]));
      await tcpSend(port, `300 <13>${'o'.repeat(296)}<13>1 - - - - - - after oversize\n${'l'.repeat(500)}\n`);
      const reset = net.connect(port, '127.0.0.1');
      await new Promise((r) => reset.once('connect', r));
      reset.write('100 <13>1 - - - - - - partial');
      await sleep(50);
      reset.resetAndDestroy();
      await udpSend(port, Buffer.alloc(300, 0x61), '<13>1 - - - - - - udp after oversize');
      good.end('<13>1 - - - - - - good 2\n');
      await h.until('the good messages', () => ['good 1', 'good 2', 'after garbage', 'after oversize', 'udp after oversize'].every((m) => h.withMessage(m)));
      await h.until('connections to close', () => h.server.stats().connections === 0);
      const st = h.server.stats();
      assert.equal(st.rejected.oversize, 3, 'an octet-counted frame, a line and a datagram');
      assert.equal(st.rejected.invalid_syntax ?? 0, 0, '`12x garbage` is a line, not a broken octet count');
      assert.ok(h.withMessage('12x garbage'));
      assert.equal(h.got.filter((g) => String(g.fields.message).includes('partial')).length, 0, 'a frame cut by a reset is not stored');
      assert.deepEqual(
        h.rejected.map((r) => [r.transport, r.code]).sort(),
        [
          ['tcp', 'oversize'],
          ['tcp', 'oversize'],
          ['udp', 'oversize'],
        ],
      );
      // The garbage is stored as text: a receiver does not lose lines.
      assert.ok(h.got.some((g) => String(g.fields.message).startsWith('\0\0') || String(g.fields.message).includes('\uFFFD')));
    } finally {
      await h.server.close();
    }
  });

  test('backpressure: TCP is paused and UDP dropped while storage is behind; nothing is lost over TCP', async () => {
    const h = await new Harness().start({ maxBatchRecords: 10, maxPendingRecords: 50 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    h.store = () => gate;
    try {
      const n = 30_000;
      const lines = Array.from({ length: n }, (_, i) => `<13>1 - - - - - - bp ${i}\n`).join('');
      const client = net.connect(h.server.port, '127.0.0.1');
      client.on('error', () => {});
      client.end(lines);
      await sleep(300);
      const held = h.server.stats();
      // One 64 KiB chunk read past the bound at most (~2500 of these lines), of the 30,000 sent.
      assert.ok(held.tcp.messages <= 50 + 3000, `read ${held.tcp.messages} while storage was stuck`);
      assert.ok(held.tcp.bytes < 200_000, `read ${held.tcp.bytes} bytes of ${lines.length}`);
      await udpSend(h.server.port, '<13>1 - - - - - - dropped 1', '<13>1 - - - - - - dropped 2');
      await h.until('the datagrams to be dropped', () => h.server.stats().dropped === 2);
      assert.equal(h.logs.filter((l) => l.includes('dropping UDP datagrams')).length, 1, 'logged once');
      open();
      await h.until('every TCP line', () => h.got.length === n, 10_000);
      assert.deepEqual(
        h.got.map((g) => g.fields.message),
        Array.from({ length: n }, (_, i) => `bp ${i}`),
      );
      const st = h.server.stats();
      assert.equal(st.stored, n);
      assert.equal(st.udp.messages, 2);
      assert.equal(st.dropped, 2);
      // Storage caught up: UDP is taken again.
      await udpSend(h.server.port, '<13>1 - - - - - - kept');
      await h.until('the datagram', () => h.withMessage('kept') !== undefined);
    } finally {
      open();
      await h.server.close();
    }
  });

  test('storage refusing a batch: logged once per kind, counted as lost, and serving goes on', async () => {
    const h = await new Harness().start({ maxBatchRecords: 1 });
    let refuse: Error | null = new StrataError('storage_full', 'disk full');
    h.store = async () => {
      if (refuse !== null) throw refuse;
    };
    try {
      const port = h.server.port;
      for (let i = 0; i < 3; i++) await udpSend(port, `<13>1 - - - - - - full ${i}`);
      await h.until('three lost', () => h.server.stats().lost === 3);
      refuse = new Error('overloaded');
      await tcpSend(port, '<13>1 - - - - - - other 1\n<13>1 - - - - - - other 2\n');
      await h.until('five lost', () => h.server.stats().lost === 5);
      assert.equal(h.logs.filter((l) => l.includes('storage_full')).length, 1);
      assert.equal(h.logs.filter((l) => l.includes('(Error: overloaded)')).length, 1);
      assert.match(h.logs.find((l) => l.includes('storage_full'))!, /cannot resend, so they are lost/);
      refuse = null;
      await udpSend(port, '<13>1 - - - - - - stored');
      await h.until('stored', () => h.withMessage('stored') !== undefined);
      const st = h.server.stats();
      assert.equal(st.stored, 1);
      assert.equal(st.lost, 5);
      assert.equal(h.got.length, 1);
    } finally {
      await h.server.close();
    }
  });

  test('close() stops listening, ends connections and stores the pending batch', async () => {
    const h = await new Harness().start({ maxBatchDelayMs: 60_000 });
    const port = h.server.port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const ended = new Promise((r) => client.once('end', r));
    client.write('<13>1 - - - - - - pending 1\n<13>1 - - - - - - pending 2\n<13>1 - - - - - - last without newline');
    await udpSend(port, '<13>1 - - - - - - pending udp');
    await h.until('received', () => h.server.stats().tcp.messages === 2 && h.server.stats().udp.messages === 1);
    assert.equal(h.got.length, 0, 'nothing handed over before the batch delay');
    const closing = h.server.close();
    await ended;
    client.end();
    await closing;
    assert.deepEqual(h.got.map((g) => g.fields.message).sort(), ['last without newline', 'pending 1', 'pending 2', 'pending udp']);
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
    assert.equal(h.server.stats().connections, 0);
  });
});
