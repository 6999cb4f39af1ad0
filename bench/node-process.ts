import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RECOMMENDED_MMAP_THRESHOLD } from '../node/allocator.ts';

const REPO = new URL('..', import.meta.url).pathname;

/**
 * glibc's mmap threshold for every node the bench starts: what the README recommends (node/allocator.ts), unless
 * the bench's own environment sets it.
 */
export const NODE_MMAP_THRESHOLD = process.env.MALLOC_MMAP_THRESHOLD_ ?? RECOMMENDED_MMAP_THRESHOLD;

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  /** The syslog port bound, when the node was asked for one. */
  syslogPort: number | null;
  /** The `admin` user's password, new for every start (the node refuses requests without credentials). */
  password: string;
  /** `Basic base64(admin:password)`: the header every request the bench makes as itself sends. */
  authorization: string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** An index grant, as POST /api/v1/security/api_keys and roles take it. */
export interface IndexGrant {
  indices: string[];
  actions: ('ingest' | 'read')[];
}

/**
 * Starts a node as its own process (so its memory is measured alone) on `dataDir`, on a free port; resolves once
 * it serves HTTP and, with `syslog`, once its syslog receiver listens too. Its admin password is random per run,
 * so that a bench node left behind by a crash does not sit on a port with a password anyone could read here.
 */
export async function startNodeProcess(dataDir: string, opts: { syslog?: boolean; password?: string } = {}): Promise<NodeProcess> {
  const args = [join(REPO, 'bin/strata.js'), 'node', '--data-dir', dataDir, '--port', '0', ...(opts.syslog ? ['--syslog-port', '0'] : [])];
  const password = opts.password ?? randomBytes(24).toString('base64url');
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  // STRATA_BENCH_NODE_ARGS: flags for the node's own Node.js, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile it.
  const nodeArgs = (process.env.STRATA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: NODE_MMAP_THRESHOLD, STRATA_PASSWORD: password };
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((ok) => child.once('exit', ok));
  };
  return new Promise((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const http = /node ready on (http:\/\/\S+)/.exec(err);
      const syslog = /syslog \(RFC 5424 and 3164\) on [^:]+:(\d+)/.exec(err);
      if (http && (!opts.syslog || syslog)) ok({ child, url: http[1], syslogPort: syslog ? Number(syslog[1]) : null, password, authorization, stop });
    });
    child.once('exit', (code) => fail(new Error(`strata node exited with ${code}: ${err}`)));
  });
}

/** POSTs JSON to the node as its admin; the answer's JSON, or an error naming the status and body. */
export async function adminPost(node: NodeProcess, path: string, body: unknown, method = 'POST'): Promise<Record<string, unknown>> {
  const res = await fetch(node.url + path, { method, headers: { 'content-type': 'application/json', authorization: node.authorization }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * A new API key that may only ingest into `indices`, as an operator would give a shipper; the `encoded` value a
 * client sends as `ApiKey <encoded>` (or `Bearer <encoded>`).
 */
export async function createIngestKey(node: NodeProcess, name: string, indices: string[]): Promise<string> {
  const grant: IndexGrant = { indices, actions: ['ingest'] };
  const k = await adminPost(node, '/api/v1/security/api_keys', { name, privileges: [grant] });
  if (typeof k.encoded !== 'string') throw new Error(`creating API key '${name}' answered no encoded key: ${JSON.stringify(k).slice(0, 300)}`);
  return k.encoded;
}

/**
 * A user whose role may only ingest into `indices`, for a shipper that speaks HTTP Basic and nothing else
 * (rsyslog's omelasticsearch); its username and a random password.
 */
export async function createIngestUser(node: NodeProcess, username: string, indices: string[]): Promise<{ username: string; password: string }> {
  const role = `${username}-ingest`;
  const grant: IndexGrant = { indices, actions: ['ingest'] };
  await adminPost(node, `/api/v1/security/roles/${role}`, { indices: [grant], description: 'bench shipper: ingest only' }, 'PUT');
  const password = randomBytes(24).toString('base64url');
  await adminPost(node, '/api/v1/security/users', { username, password, role });
  return { username, password };
}
