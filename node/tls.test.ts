import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { StrataError } from '../lib/errors.ts';
import { startAgent } from '../ingest/agent/agent.ts';
import { loadAgentConfig, parseAgentConfig } from '../ingest/agent/config.ts';
import { LineWriter, testConfig } from '../ingest/agent/testing.ts';
import { type CertsResult, generateCerts } from './certs.ts';
import { nodeClientEnv } from './dashboard.ts';
import { ADMIN_AUTH, freePort, startTestNode, type TestNode, waitFor } from './testing.ts';

/**
 * TLS end to end: a node started with certificates from generateCerts, reached by real clients (node:https,
 * node:tls, the agent, a child process set up as the dashboard is) that trust the CA, and by ones that do not.
 */

const RSYSLOGD = '/usr/sbin/rsyslogd';
/** rsyslog's TLS driver (Debian package rsyslog-gnutls). */
const GTLS = '/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so';
const noRsyslogTls = existsSync(RSYSLOGD) && existsSync(GTLS) ? false : `${RSYSLOGD} or its TLS driver ${GTLS} is absent (Debian packages rsyslog, rsyslog-gnutls)`;

const dir = mkdtempSync(join(tmpdir(), 'strata-tls-test-'));
let certs: CertsResult;
/** Another CA's files: a client trusting only it must refuse the node. */
let otherCerts: CertsResult;
let node: TestNode;
let url: string;
let syslogTlsPort: number;
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  certs = await generateCerts({ outDir: join(dir, 'certs'), hosts: ['localhost', '127.0.0.1'], days: 30, caDays: 365, name: 'node' });
  otherCerts = await generateCerts({ outDir: join(dir, 'other'), hosts: ['localhost', '127.0.0.1'], days: 30, caDays: 365, name: 'node' });
  // A port named up front: the test node reports its plain syslog port only.
  syslogTlsPort = await freePort();
  node = await startTestNode({ tlsCert: certs.certFile, tlsKey: certs.keyFile, syslogTlsPort });
  // testing.ts names the port with http://; the node behind it speaks only https.
  url = node.url.replace(/^http:/, 'https:');
});
after(() => node?.close());

interface Answer {
  status: number;
  json: any;
}

/** One request over node:https; `ca` undefined trusts the system's CAs only, as a client given nothing would. */
function request(target: string, opts: { ca?: Buffer | string; method?: string; headers?: Record<string, string>; body?: string; servername?: string } = {}): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = httpsRequest(target, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
      agent: false,
    });
    req.on('error', fail);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        ok({ status: res.statusCode ?? 0, json: text === '' ? null : JSON.parse(text) });
      });
    });
    req.end(opts.body);
  });
}

const caPem = () => readFileSync(certs.caFile);

async function search(index: string, query: string, ca: Buffer): Promise<Answer> {
  return request(`${url}/api/v1/search`, {
    ca,
    method: 'POST',
    headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ index, query, size: 100 }),
  });
}

describe('the HTTPS port', () => {
  test('a client trusting the CA gets health, ingests and searches with credentials', async () => {
    const ca = caPem();
    const health = await request(`${url}/api/v1/health`, { ca });
    assert.equal(health.status, 200);
    // By name too: the certificate lists localhost as well as 127.0.0.1.
    const byName = await request(url.replace('127.0.0.1', 'localhost') + '/api/v1/health', { ca });
    assert.equal(byName.status, 200);
    const ingested = await request(`${url}/api/v1/indices/tls-http/ingest`, {
      ca,
      method: 'POST',
      headers: { authorization: ADMIN_AUTH, 'content-type': 'application/x-ndjson' },
      body: '{"message":"sent over https"}\n{"message":"another over https"}\n',
    });
    assert.equal(ingested.status, 200, JSON.stringify(ingested.json));
    assert.equal(ingested.json.accepted, 2);
    const found = await search('tls-http', 'https', ca);
    assert.equal(found.status, 200);
    assert.equal(found.json.total, 2);
    const anonymous = await request(`${url}/api/v1/search`, { ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"index":"tls-http"}' });
    assert.equal(anonymous.status, 401, 'TLS does not stand in for credentials');
  });

  test('a client that does not trust the CA is refused, and the node says why once', async () => {
    await assert.rejects(request(`${url}/api/v1/health`), (e: NodeJS.ErrnoException) => /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/.test(e.code ?? ''));
    await assert.rejects(request(`${url}/api/v1/health`, { ca: readFileSync(otherCerts.caFile) }), (e: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED/.test(e.code ?? ''));
    // fetch, as the dashboard and scripts use it, with the system's CAs only.
    await assert.rejects(fetch(`${url}/api/v1/health`), (e: Error & { cause?: { code?: string } }) => /CERT|SIGNATURE|ISSUER/.test(e.cause?.code ?? ''));
    const refusal = (l: string) => l.startsWith('tls: the HTTPS port') && l.includes('give it the CA certificate (ca.pem)');
    await waitFor(async () => node.logs.some(refusal), 2000, () => `the refusal in the log: ${node.logs.join('\n')}`);
    assert.equal(node.logs.filter(refusal).length, 1, 'three refusals logged once, then counted');
  });

  test('a name the certificate does not list is refused', async () => {
    await assert.rejects(request(`${url}/api/v1/health`, { ca: caPem(), servername: 'elsewhere.example' }), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('plain HTTP to the HTTPS port gets no answer, and the node says what happened', async () => {
    const plain = url.replace(/^https:/, 'http:');
    const outcome = await new Promise<string>((ok) => {
      const req = httpRequest(`${plain}/api/v1/health`, { agent: false }, (res) => ok(`answered ${res.statusCode}`));
      req.on('error', (e: NodeJS.ErrnoException) => ok(`failed ${e.code}`));
      req.end();
    });
    assert.match(outcome, /^failed (ECONNRESET|EPIPE)/);
    await waitFor(async () => node.logs.some((l) => l.includes('spoke plain HTTP')), 2000, () => `the plain HTTP in the log: ${node.logs.join('\n')}`);
  });

  test('the metrics count failed handshakes by port and reason', async () => {
    const text = await new Promise<string>((ok, fail) => {
      const req = httpsRequest(`${url}/metrics`, { ca: caPem(), headers: { authorization: ADMIN_AUTH }, agent: false }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => ok(Buffer.concat(parts).toString('utf8')));
      });
      req.on('error', fail);
      req.end();
    });
    assert.match(text, /strata_tls_handshake_failures_total\{port="http",code="ERR_SSL_HTTP_REQUEST"\} [1-9]/);
  });
});

describe('syslog over TLS', () => {
  /** RFC 5425 framing: the message's octet count, a space, the message. */
  const frame = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;

  test('octet-counted RFC 5424 frames over TLS are stored and found', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: syslogTlsPort, ca: caPem(), servername: 'localhost' });
    await new Promise<void>((ok, fail) => {
      socket.once('secureConnect', ok);
      socket.once('error', fail);
    });
    assert.ok(socket.authorized, 'the client checked the node against the CA');
    const msgs = [
      '<34>1 2026-11-29T10:00:00.000Z web1 sshd 42 ID47 - tls frame one',
      '<165>1 2026-11-29T10:00:01.000Z web1 app - - [ex@32473 k="v"] tls frame two with\nan embedded newline',
      '<13>1 2026-11-29T10:00:02.000Z web1 app - - - tls frame three é',
    ];
    // Split across writes mid-frame: a TLS record boundary must not be a frame boundary.
    const all = msgs.map(frame).join('');
    socket.write(all.slice(0, 40));
    socket.write(all.slice(40));
    await new Promise<void>((ok) => socket.end(ok));
    const ca = caPem();
    let found: Answer = { status: 0, json: null };
    await waitFor(
      async () => {
        found = await search('syslog', 'tls', ca);
        return found.status === 200 && found.json.total === 3;
      },
      5000,
      () => `three syslog records: ${JSON.stringify(found.json)}`,
    );
    const messages = found.json.hits.map((h: { message: string }) => h.message).sort();
    assert.deepEqual(messages, ['tls frame one', 'tls frame three é', 'tls frame two with\nan embedded newline']);
    const two = found.json.hits.find((h: { message: string }) => h.message.startsWith('tls frame two'));
    assert.equal(two.host, 'web1');
    assert.equal(two.app, 'app');
    assert.equal(two['sd.ex@32473.k'], 'v');
    assert.equal(two['@timestamp'], '2026-11-29T10:00:01.000Z');
  });

  test('rsyslog forwards over TLS, checking the node by name against the CA', { skip: noRsyslogTls }, async () => {
    const work = mkdtempSync(join(dir, 'rsyslog-'));
    const input = join(work, 'in.log');
    const id = Math.random().toString(36).slice(2);
    writeFileSync(input, `rsyslog ${id} one\nrsyslog ${id} two\n`);
    // A file input and one action only: the host's own logging is untouched.
    writeFileSync(
      join(work, 'rsyslog.conf'),
      [
        `global(workDirectory="${work}" DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${certs.caFile}")`,
        'module(load="imfile")',
        `input(type="imfile" File="${input}" Tag="rstls")`,
        `action(type="omfwd" target="127.0.0.1" port="${syslogTlsPort}" protocol="tcp" TCP_Framing="octet-counted" StreamDriver="gtls" StreamDriverMode="1"`,
        '       StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost" template="RSYSLOG_SyslogProtocol23Format")',
        '',
      ].join('\n'),
    );
    let out = '';
    const rsyslog: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', join(work, 'rsyslog.conf'), '-i', join(work, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    rsyslog.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    rsyslog.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => rsyslog.once('exit', r));
    try {
      let found: Answer = { status: 0, json: null };
      await waitFor(
        async () => {
          found = await search('syslog', id, caPem());
          return found.json?.total === 2;
        },
        10_000,
        () => `rsyslog's two lines: ${JSON.stringify(found.json)}; rsyslogd said: ${out}`,
      );
      assert.deepEqual(found.json.hits.map((h: { message: string }) => h.message).sort(), [`rsyslog ${id} one`, `rsyslog ${id} two`]);
      assert.ok(found.json.hits.every((h: { app: string }) => h.app === 'rstls'));
    } finally {
      rsyslog.kill('SIGTERM');
      const killer = setTimeout(() => rsyslog.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
  });

  test('a plain TCP sender on the TLS port stores nothing', async () => {
    const before = (await search('syslog', 'plaintext', caPem())).json?.total ?? 0;
    await new Promise<void>((ok) => {
      const s = net.connect(syslogTlsPort, '127.0.0.1', () => s.end(frame('<13>1 - - - - - - plaintext sneaks in')));
      s.on('close', () => ok());
      s.on('error', () => ok());
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await search('syslog', 'plaintext', caPem())).json?.total ?? 0, before);
  });
});

test('close() is not held up by clients stalled in their TLS handshake', async () => {
  const syslogPort = await freePort();
  const n = await startTestNode({ dataDir: join(dir, 'stalled-node'), tlsCert: certs.certFile, tlsKey: certs.keyFile, syslogTlsPort: syslogPort });
  const port = Number(new URL(n.url).port);
  const stalled = await Promise.all(
    [port, syslogPort].map(
      (p) =>
        new Promise<net.Socket>((ok, fail) => {
          const s = net.connect(p, '127.0.0.1', () => ok(s));
          s.on('error', fail);
        }),
    ),
  );
  const started = performance.now();
  await n.close();
  const ms = performance.now() - started;
  assert.ok(ms < 5000, `closed in ${Math.round(ms)} ms`);
  for (const s of stalled) s.destroy();
});

describe('the agent', () => {
  test('ships to an https node with output.tls.ca, heartbeats included', async (t) => {
    const work = mkdtempSync(join(dir, 'agent-'));
    const w = new LineWriter('tlsagent', join(work, 'a.log'));
    w.write(50);
    const cfg = testConfig(join(work, 'registry'), [join(work, '*.log')], url, { output: { index: 'tls-agent', tls: { ca: certs.caFile } }, heartbeat: { interval_ms: 100 }, name: 'tls agent' });
    const logs: string[] = [];
    const agent = await startAgent(cfg, (m) => logs.push(m));
    t.after(() => agent.close());
    const ca = caPem();
    let n = 0;
    await waitFor(
      async () => {
        n = (await search('tls-agent', 'tlsagent', ca)).json?.total ?? 0;
        return n === 50;
      },
      10_000,
      () => `50 lines shipped, got ${n}; agent log: ${logs.join('\n')}`,
    );
    let listed: { name: string }[] = [];
    await waitFor(
      async () => {
        listed = (await request(`${url}/api/v1/agents`, { ca, headers: { authorization: ADMIN_AUTH } })).json.agents;
        return listed.some((a) => a.name === 'tls agent');
      },
      5000,
      () => `the agent listed through its heartbeat: ${JSON.stringify(listed)}; agent log: ${logs.join('\n')}`,
    );
    assert.ok(!logs.some((l) => l.startsWith('heartbeat:')), logs.join('\n'));
  });

  test('without the CA it refuses the node and says so, shipping nothing', async (t) => {
    const work = mkdtempSync(join(dir, 'agent-'));
    const w = new LineWriter('untrusting', join(work, 'a.log'));
    w.write(5);
    const cfg = testConfig(join(work, 'registry'), [join(work, '*.log')], url, { output: { index: 'tls-agent-refused' }, heartbeat: { interval_ms: 100 }, shutdown_timeout_ms: 100 });
    const logs: string[] = [];
    const agent = await startAgent(cfg, (m) => logs.push(m));
    t.after(() => agent.close());
    const said = (what: string) => logs.some((l) => l.startsWith(what) && l.includes('not signed by a CA the agent trusts; give that CA') && l.includes('output.tls.ca'));
    await waitFor(async () => said('output:') && said('heartbeat:'), 10_000, () => `the certificate refused, with the fix, in the agent log: ${logs.join('\n')}`);
    assert.equal((await search('tls-agent-refused', 'untrusting', caPem())).json?.total ?? 0, 0);
  });

  test('output.tls: a missing CA file is named; a CA with only http URLs and a verification switch are refused', () => {
    const conf = join(dir, 'agent-missing-ca.yaml');
    writeFileSync(conf, `inputs: [{ type: stdin }]\noutput: { urls: ["https://127.0.0.1:1"], index: x, tls: { ca: ./nope/ca.pem } }\n`);
    assert.throws(() => loadAgentConfig(conf), (e: unknown) => e instanceof StrataError && e.code === 'invalid_config' && e.message.includes(join(dir, 'nope', 'ca.pem')) && /no such file/.test(e.message));
    const keyAsCa = join(dir, 'agent-key-as-ca.yaml');
    writeFileSync(keyAsCa, `inputs: [{ type: stdin }]\noutput: { urls: ["https://127.0.0.1:1"], index: x, tls: { ca: ${JSON.stringify(certs.caKeyFile)} } }\n`);
    assert.throws(() => loadAgentConfig(keyAsCa), /is not a PEM certificate/);
    const base = { inputs: [{ type: 'stdin' }] };
    assert.throws(() => parseAgentConfig({ ...base, output: { urls: ['http://127.0.0.1:1'], index: 'x', tls: { ca: certs.caFile } } }, 'test'), /output\.tls\.ca: checks https:\/\/ nodes/);
    assert.throws(() => parseAgentConfig({ ...base, output: { urls: ['https://127.0.0.1:1'], index: 'x', tls: { insecure_skip_verify: true } } }, 'test'), /output\.tls\.insecure_skip_verify: unknown key; expected one of ca/);
  });
});

describe('the dashboard', () => {
  test('its environment makes a Node process trust the node through --node-ca', async () => {
    const run = promisify(execFile);
    const probe = `fetch(${JSON.stringify(`${url}/api/v1/health`)}).then((r) => console.log('status', r.status), (e) => console.log('failed', e.cause?.code))`;
    const trusted = await run(process.execPath, ['-e', probe], { env: { ...process.env, ...nodeClientEnv(url, certs.caFile, () => {}) } });
    assert.match(trusted.stdout, /^status 200/);
    const { NODE_EXTRA_CA_CERTS: _ignored, ...withoutCa } = process.env;
    const untrusted = await run(process.execPath, ['-e', probe], { env: { ...withoutCa, ...nodeClientEnv(url, undefined, () => {}) } });
    assert.match(untrusted.stdout, /^failed (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
  });

  test('a --node-ca that is not a certificate is named', () => {
    assert.throws(() => nodeClientEnv(url, join(dir, 'missing.pem'), () => {}), (e: unknown) => e instanceof StrataError && e.message.includes(join(dir, 'missing.pem')) && e.message.includes('--node-ca'));
    assert.throws(() => nodeClientEnv(url, certs.keyFile, () => {}), /--node-ca\) is not a PEM CA certificate/);
  });
});

describe('configuration errors', () => {
  // A data dir of the test's own: a node refused at start leaves the one startTestNode would make behind.
  const start = (over: Record<string, unknown>) => startTestNode({ dataDir: join(dir, 'refused-node'), ...over });
  const refused = (pattern: RegExp) => (e: unknown) => {
    assert.ok(e instanceof StrataError && e.code === 'invalid_config', String(e));
    assert.match(e.message, pattern);
    return true;
  };

  test('a missing file is named with its flag', async () => {
    const missing = join(dir, 'no-such-node.pem');
    await assert.rejects(start({ tlsCert: missing, tlsKey: certs.keyFile }), refused(new RegExp(`cannot read the TLS certificate ${missing} \\(--tls-cert\\): no such file`)));
    await assert.rejects(start({ tlsCert: certs.certFile, tlsKey: join(dir, 'gone-key.pem') }), refused(/cannot read the TLS key .*gone-key\.pem \(--tls-key\): no such file/));
  });

  test('certificate and key go together; syslog TLS needs them', async () => {
    await assert.rejects(start({ tlsCert: certs.certFile }), refused(/give --tls-cert and --tls-key .* together; only --tls-cert was given/));
    await assert.rejects(start({ syslogTlsPort: 0 }), refused(/--syslog-tls-port \(syslogTlsPort\) needs --tls-cert and --tls-key/));
  });

  test('not PEM, swapped, mismatched, a CA certificate: each said for what it is', async () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    await assert.rejects(start({ tlsCert: junk, tlsKey: certs.keyFile }), refused(/junk\.pem \(--tls-cert\) is not a PEM certificate/));
    await assert.rejects(start({ tlsCert: certs.certFile, tlsKey: junk }), refused(/junk\.pem \(--tls-key\) is not a PEM private key/));
    await assert.rejects(start({ tlsCert: certs.keyFile, tlsKey: certs.certFile }), refused(/swapped/));
    await assert.rejects(start({ tlsCert: certs.certFile, tlsKey: otherCerts.keyFile }), refused(/is not the key of the certificate/));
    await assert.rejects(start({ tlsCert: certs.caFile, tlsKey: certs.caKeyFile }), refused(/is a CA certificate/));
  });

  test('an unreadable file says so', async () => {
    await assert.rejects(start({ tlsCert: dir, tlsKey: certs.keyFile }), refused(/\(--tls-cert\): it is a directory; give the file/));
    if (process.getuid?.() === 0) return; // root reads any file whatever its mode
    const locked = join(dir, 'locked-key.pem');
    copyFileSync(certs.keyFile, locked);
    chmodSync(locked, 0o000);
    await assert.rejects(start({ tlsCert: certs.certFile, tlsKey: locked }), refused(/permission denied/));
  });
});
