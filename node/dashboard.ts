/**
 * The dashboard process: builds the Next.js app when its sources are newer than the last build, then serves it
 * with `next start`, pointed at a node through STRATA_NODE_URL. A child process, so that the dashboard's memory
 * and crashes stay apart from the node's. A node on https with a certificate of a private CA (`strata certs`) is
 * trusted through NODE_EXTRA_CA_CERTS, which Node reads at start and adds to its built-in CAs for every TLS
 * connection, the server side's fetch included, so that no dashboard code needs to know.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { StrataError } from '../lib/errors.ts';
import { readCaBundle } from './tls.ts';

/** What the dashboard is built from: a change to any of these means the build is stale. */
const SOURCES = ['app', 'proxy.ts', 'components', 'lib/client', 'indexer/query', 'indexer/text', 'lib/errors.ts', 'lib/record.ts', 'next.config.js', 'package.json', 'tsconfig.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

export function dashboardBuildIsStale(root: string): boolean {
  const id = join(root, '.next', 'BUILD_ID');
  if (!existsSync(id)) return true;
  const built = statSync(id).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(root, s)) > built);
}

function nextBin(root: string): string {
  return createRequire(join(root, 'package.json')).resolve('next/dist/bin/next');
}

const childEnv = (extra: Record<string, string>) => ({ ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra });

/** Runs `next build` when needed; its own progress output goes to `out`. */
export async function ensureDashboardBuilt(root: string, log: (m: string) => void, out: NodeJS.WritableStream = process.stderr): Promise<void> {
  if (!dashboardBuildIsStale(root)) return;
  log('building the dashboard (once, about a minute on 2 cores)…');
  const started = Date.now();
  await new Promise<void>((ok, fail) => {
    const p = spawn(process.execPath, [nextBin(root), 'build'], { cwd: root, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.pipe(out, { end: false });
    p.stderr.pipe(out, { end: false });
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok() : fail(new StrataError('internal', `building the dashboard failed (next build exited ${code}); see its output above`))));
  });
  log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export interface DashboardProcess {
  url: string;
  child: ChildProcess;
  close(): Promise<void>;
}

/**
 * The environment that points a dashboard process at its node: the URL, and with `nodeCa` (a PEM file, checked
 * here) the CA that signed the node's certificate. NODE_EXTRA_CA_CERTS holds one file: one set for the dashboard
 * already is replaced, and said so.
 */
export function nodeClientEnv(nodeUrl: string, nodeCa: string | undefined, log: (m: string) => void): Record<string, string> {
  const env: Record<string, string> = { STRATA_NODE_URL: nodeUrl };
  if (nodeCa === undefined) return env;
  readCaBundle(nodeCa, '--node-ca');
  const before = process.env.NODE_EXTRA_CA_CERTS;
  if (before !== undefined && before !== '' && before !== nodeCa) log(`dashboard: --node-ca ${nodeCa} replaces NODE_EXTRA_CA_CERTS=${before} for the dashboard; put both CAs in one file to trust both`);
  env.NODE_EXTRA_CA_CERTS = nodeCa;
  return env;
}

/** Serves the built dashboard on host:port, answering once its pages load. */
export async function startDashboard(opts: { root: string; nodeUrl: string; port: number; host: string; log: (m: string) => void; nodeCa?: string }): Promise<DashboardProcess> {
  const { root, nodeUrl, port, host, log } = opts;
  const env = childEnv(nodeClientEnv(nodeUrl, opts.nodeCa, log));
  const child = spawn(process.execPath, [nextBin(root), 'start', '--port', String(port), '--hostname', host], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    for (const l of b.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(l.trimEnd());
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', (b: Buffer) => {
    keep(b);
    log(`dashboard: ${b.toString('utf8').trimEnd()}`);
  });
  const url = `http://${host}:${port}`;
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  const until = Date.now() + 60_000;
  for (;;) {
    const done = await Promise.race([exited.then((c) => ({ exit: c })), new Promise((r) => setTimeout(r, 200)).then(() => null)]);
    if (done) throw new StrataError('internal', `the dashboard exited (${done.exit}) before it was ready:\n${lines.join('\n')}`);
    try {
      const res = await fetch(`${url}/discover`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new StrataError('internal', `the dashboard did not answer on ${url} within 60 s:\n${lines.join('\n')}`);
    }
  }
  return {
    url,
    child,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
