import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Corpus } from './corpus.ts';
import { createIngestKey, createIngestUser, startNodeProcess } from './node-process.ts';
import { PeerUnavailableError } from './peers/result.ts';
import { formatBytes, formatCount, formatRatio, formatTable, readPeakRssBytes, watchPeakRss } from './stats.ts';

/**
 * Shipping files, Strata's agent against Debian's rsyslog (`imfile` → `omelasticsearch` in bulk mode): the same
 * corpus lines as one file, then spread over 100 files, each shipper started on files already written, each to a
 * fresh node process of its own. The clock runs from the shipper's start to the moment the node counts every
 * line (polled), so it holds the shipper's start-up, reading, batching and the node's storing; CPU seconds and
 * peak RSS are the shipper process's alone (`/proc/PID/stat`, `VmHWM`).
 *
 * Both run as an operator would first set them up. The agent: its defaults (batches of 2,000 records or 4 MiB,
 * gzip level 1, 2 batches in flight, 64 MiB of records pending). rsyslog: imfile in inotify mode (its default and
 * the mode its documentation recommends; polling mode re-reads on a timer), an action queue dequeueing batches of
 * 2,000 with 2 worker threads, so that its bulk requests and requests in flight match the agent's. Both send
 * the same record: `@timestamp`, `message`, `log.file.path` and `host.name`. rsyslog sends no compression and no
 * `_id` (a resent batch is stored twice); the agent gzips and sends an `_id` per line.
 *
 * Against a node both are bound by the node's storing, so the sink target (`--to sink`) adds what each shipper can
 * do on its own: an endpoint that only counts records and answers at once.
 *
 * Each authenticates as an operator would set it up, with credentials that may only ingest into the bench index:
 * the agent with an API key (`output.auth.api_key`), rsyslog with a user and password (`uid`/`pwd`: HTTP Basic is
 * all its omelasticsearch speaks). The sink takes any credentials, and is sent the same kind, so that a shipper
 * does the same work against both.
 */

export const RSYSLOGD = '/usr/sbin/rsyslogd';
const BIN = new URL('../bin/strata.js', import.meta.url).pathname;
const INDEX = 'bench-agent';
const POLL_MS = 200;
const MB = 1e6;

export type Shipper = 'strata' | 'rsyslog';
/** Where the lines go: a fresh node process, or a sink that stores nothing (the shippers' own ceiling). */
export type Target = 'node' | 'sink';

/**
 * A `_bulk` endpoint that stores nothing: it counts the records of each body (two non-empty lines each: action and
 * source; gzip undone) and answers at once with no errors; `POST /api/v1/search` answers the count so far as the node's
 * `total` would. Its own process, so that what it spends is not the shipper's.
 */
const SINK = `
const zlib = require('node:zlib');
let total = 0;
const server = require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url.startsWith('/api/v1/search')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ total }));
    }
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
    // Non-empty lines: rsyslog ends each source line with an empty one.
    let lines = 0;
    let from = 0;
    for (let i = body.indexOf(10); i !== -1; from = i + 1, i = body.indexOf(10, from)) if (i > from) lines++;
    total += lines >> 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"took":0,"errors":false,"items":[]}');
  });
});
server.listen(0, '127.0.0.1', () => console.error('sink ready on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

/** The sink as a process, with the same surface as a node process. */
async function startSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /sink ready on (\S+)/.exec(err);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`the sink exited with ${code}: ${err}`)));
  });
  return { url, stop: () => stopProcess(child) };
}

export interface ShipResult {
  shipper: Shipper;
  target: Target;
  /** `1 file`, `100 files`. */
  layout: string;
  files: number;
  lines: number;
  bytes: number;
  /** From the shipper's start until the node counts every line. */
  seconds: number;
  linesPerSec: number;
  mbPerSec: number;
  /** user + system CPU of the shipper process (all its threads) over the run. */
  cpuSeconds: number;
  peakRssBytes: number | null;
  /** What the node counts a second after the last line arrived, less the lines: records stored twice. */
  duplicates: number;
}

export interface AgentBenchReport {
  target: Target;
  lines: number;
  bytes: number;
  results: ShipResult[];
  /** Why rsyslog did not run, when it did not. */
  rsyslogSkipped: string | null;
  machine: string;
}

/** Clock ticks per second for `/proc/PID/stat` (100 on every Linux we know, asked once all the same). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU seconds of a live process, all its threads; null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which may itself hold spaces and parentheses: utime and stime are 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * Writes the file's lines into `files` files of consecutive lines (the first ones one line longer when they do
 * not divide), streaming in 8 MiB reads; returns their paths.
 */
export function splitLines(source: string, lines: number, files: number, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = Array.from({ length: files }, (_, i) => join(dir, `part-${String(i).padStart(3, '0')}.log`));
  const quota = (i: number) => Math.floor(lines / files) + (i < lines % files ? 1 : 0);
  const src = openSync(source, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let part = 0;
  let inPart = 0;
  let out = openSync(paths[0], 'w');
  try {
    for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0; ) {
      let start = 0;
      while (start < n) {
        // The rest of this part's lines, or all the buffer holds.
        let end = start;
        while (inPart < quota(part)) {
          const nl = buf.indexOf(10, end);
          if (nl === -1 || nl >= n) {
            end = n;
            break;
          }
          end = nl + 1;
          inPart++;
        }
        writeSync(out, buf, start, end - start);
        start = end;
        if (inPart === quota(part) && part < files - 1) {
          closeSync(out);
          out = openSync(paths[++part], 'w');
          inPart = 0;
        } else if (inPart === quota(part)) break;
      }
      if (part === files - 1 && inPart === quota(part)) break;
    }
    // Parts left without lines (fewer lines than files) still exist, empty.
    while (part < files - 1) {
      closeSync(out);
      out = openSync(paths[++part], 'w');
    }
  } finally {
    closeSync(out);
    closeSync(src);
  }
  return paths;
}

async function count(url: string, authorization: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ index: INDEX, query: '*', size: 0 }) });
  if (res.status === 404) return 0;
  const json = (await res.json()) as { total?: number };
  if (res.status !== 200) throw new Error(`count answered ${res.status}: ${JSON.stringify(json)}`);
  return json.total ?? 0;
}

/** What a shipper authenticates with: an API key, or a user and password (HTTP Basic). */
export type ShipperAuth = { api_key: string } | { username: string; password: string };

function agentConfig(dir: string, glob: string, url: string, auth: ShipperAuth): string {
  const path = join(dir, 'agent.yaml');
  writeFileSync(
    path,
    `registry: ${JSON.stringify(join(dir, 'registry'))}
inputs:
  - type: file
    paths: [${JSON.stringify(glob)}]
output:
  urls: [${JSON.stringify(url)}]
  index: ${INDEX}
  auth: ${JSON.stringify(auth)}
`,
  );
  return path;
}

function rsyslogConfig(dir: string, glob: string, url: string, auth: { username: string; password: string }): string {
  const port = new URL(url).port;
  const path = join(dir, 'rsyslog.conf');
  writeFileSync(
    path,
    `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="omelasticsearch")
template(name="strata-json" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="log.file.path" name="$!metadata!filename" format="jsonf")
  property(outname="host.name" name="hostname" format="jsonf")
}
ruleset(name="to-strata") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" searchIndex="${INDEX}" bulkmode="on"
         uid="${auth.username}" pwd="${auth.password}"
         template="strata-json" queue.type="linkedlist" queue.dequeueBatchSize="2000" queue.workerThreads="2"
         action.resumeRetryCount="-1")
}
input(type="imfile" file="${glob}" tag="bench:" addMetadata="on" ruleset="to-strata")
`,
  );
  return path;
}

function startShipper(shipper: Shipper, dir: string, glob: string, url: string, auth: ShipperAuth, stderr: string[]): ChildProcess {
  let cmd: string;
  let args: string[];
  if (shipper === 'strata') [cmd, args] = [process.execPath, [BIN, 'agent', '--config', agentConfig(dir, glob, url, auth)]];
  else if ('username' in auth) [cmd, args] = [RSYSLOGD, ['-n', '-f', rsyslogConfig(dir, glob, url, auth), '-i', join(dir, 'rsyslogd.pid')]];
  else throw new Error('rsyslog authenticates with a username and password only');
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(late);
}

/** Ships `glob` with one shipper to a fresh node process (or sink); resolves once it counts `lines`. */
export async function shipOnce(shipper: Shipper, target: Target, layout: string, glob: string, files: number, lines: number, bytes: number, log: (m: string) => void): Promise<ShipResult> {
  const dir = mkdtempSync(join(tmpdir(), `strata-bench-agent-${shipper}-`));
  const node = target === 'node' ? await startNodeProcess(join(dir, 'node')) : null;
  const dest = node ?? (await startSink());
  const asAdmin = node?.authorization ?? '';
  const stderr: string[] = [];
  let child: ChildProcess | null = null;
  try {
    // Issued before the clock starts, as an operator would before starting the shipper.
    const random = () => randomBytes(24).toString('base64url');
    let auth: ShipperAuth;
    if (shipper === 'strata') auth = { api_key: node ? await createIngestKey(node, 'bench agent', [INDEX]) : Buffer.from(`sink:${random()}`).toString('base64') };
    else auth = node ? await createIngestUser(node, 'rsyslog', [INDEX]) : { username: 'rsyslog', password: random() };
    const work = join(dir, 'shipper');
    mkdirSync(work);
    const t0 = performance.now();
    child = startShipper(shipper, work, glob, dest.url, auth, stderr);
    const pid = child.pid!;
    const rss = watchPeakRss(pid, 50);
    // Bounded: at 1,000 lines/s (ten times slower than the slowest run seen) the run has failed.
    const until = Date.now() + Math.max(120_000, lines);
    let lastLog = 0;
    let stored = 0;
    while ((stored = await count(dest.url, asAdmin)) < lines) {
      if (child.exitCode !== null) throw new Error(`${shipper} exited with ${child.exitCode} after ${stored} of ${lines} lines: ${stderr.join('').slice(-2000)}`);
      if (Date.now() > until) throw new Error(`${shipper}: ${stored} of ${lines} lines after ${((performance.now() - t0) / 1000).toFixed(0)} s: ${stderr.join('').slice(-2000)}`);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${shipper}, ${layout}: ${formatCount(stored)} of ${formatCount(lines)} lines`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuSecondsOf(pid) ?? NaN;
    const peak = rss.stop();
    const last = readPeakRssBytes(pid);
    // Records a shipper resends are stored again unless they carry an `_id`: look once more a moment later.
    await new Promise((r) => setTimeout(r, 1000));
    const duplicates = (await count(dest.url, asAdmin)) - lines;
    return {
      shipper,
      target,
      layout,
      files,
      lines,
      bytes,
      seconds,
      linesPerSec: lines / seconds,
      mbPerSec: bytes / MB / seconds,
      cpuSeconds,
      peakRssBytes: last === null ? peak : Math.max(peak ?? 0, last),
      duplicates,
    };
  } finally {
    if (child) await stopProcess(child);
    await dest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rsyslogVersion(): string {
  return /rsyslogd\s+(\S+)/.exec(execFileSync(RSYSLOGD, ['-v'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
}

/** Why rsyslog cannot run here, or null. */
export function rsyslogUnavailable(): string | null {
  if (!existsSync(RSYSLOGD)) return `${RSYSLOGD} not found (Debian packages rsyslog and rsyslog-elasticsearch)`;
  for (const mod of ['imfile', 'omelasticsearch']) {
    const dirs = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];
    if (!dirs.some((d) => existsSync(join(d, `${mod}.so`)))) return `rsyslog module ${mod} not found (Debian package ${mod === 'imfile' ? 'rsyslog' : 'rsyslog-elasticsearch'})`;
  }
  return null;
}

export interface AgentBenchOptions {
  /** File counts to run, in order; default [1, 100]. */
  layouts?: number[];
  /** Default `node`. */
  target?: Target;
  shippers?: Shipper[];
  log: (m: string) => void;
}

/** Every layout, each shipped by each shipper to its own fresh node; the corpus's raw file is the source. */
export async function runAgentBench(corpus: Corpus, opts: AgentBenchOptions): Promise<AgentBenchReport> {
  const layouts = opts.layouts ?? [1, 100];
  const target = opts.target ?? 'node';
  let shippers = opts.shippers ?? ['strata', 'rsyslog'];
  const rsyslogSkipped = shippers.includes('rsyslog') ? rsyslogUnavailable() : 'not asked for';
  if (rsyslogSkipped !== null) shippers = shippers.filter((s) => s !== 'rsyslog');
  if (shippers.length === 0) throw new PeerUnavailableError('rsyslog', rsyslogSkipped ?? 'no shipper asked for');
  const load0 = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-agent-files-'));
  const results: ShipResult[] = [];
  try {
    for (const files of layouts) {
      const layout = files === 1 ? '1 file' : `${files} files`;
      let glob = corpus.rawFile;
      if (files > 1) {
        opts.log(`agent bench: splitting ${formatCount(corpus.lines)} lines into ${files} files`);
        splitLines(corpus.rawFile, corpus.lines, files, join(work, `split-${files}`));
        glob = join(work, `split-${files}`, '*.log');
      }
      for (const shipper of shippers) {
        opts.log(`agent bench: ${shipper}, ${layout}`);
        const r = await shipOnce(shipper, target, layout, glob, files, corpus.lines, corpus.rawBytes, opts.log);
        opts.log(`  ${r.seconds.toFixed(1)} s, ${formatCount(r.linesPerSec)} lines/s, ${r.cpuSeconds.toFixed(1)} CPU s, peak RSS ${formatBytes(r.peakRssBytes)}`);
        results.push(r);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const load1 = loadavg();
  const machine =
    `${availableParallelism()} cores, Node.js ${process.version}` +
    (rsyslogSkipped === null ? `, rsyslogd ${rsyslogVersion()}` : '') +
    `; load average (1 min) ${load0[0].toFixed(1)} at the start, ${load1[0].toFixed(1)} at the end`;
  return { target, lines: corpus.lines, bytes: corpus.rawBytes, results, rsyslogSkipped, machine };
}

/** A Markdown report: each run's figures, then Strata / rsyslog per metric and layout. */
export function formatAgentReport(r: AgentBenchReport): string {
  const name = (s: Shipper) => (s === 'strata' ? 'Strata agent' : 'rsyslog');
  const rows = r.results.map((x) => [
    name(x.shipper),
    x.layout,
    x.seconds.toFixed(1),
    formatCount(x.linesPerSec),
    x.mbPerSec.toFixed(2),
    x.cpuSeconds.toFixed(1),
    formatBytes(x.peakRssBytes),
    formatCount(x.duplicates),
  ]);
  const out = [
    `# Shipping files: Strata's agent and rsyslog`,
    '',
    `${formatCount(r.lines)} corpus lines (${(r.bytes / MB).toFixed(0)} MB), each run to ${
      r.target === 'node' ? 'a fresh node process' : 'a sink that counts records and stores nothing (the shippers\' own ceiling)'
    }; ${r.machine}.`,
    '',
    '```',
    formatTable(['shipper', 'layout', 'wall s', 'lines/s', 'MB/s', 'CPU s', 'peak RSS', 'duplicates'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right']),
    '```',
  ];
  const layouts = [...new Set(r.results.map((x) => x.layout))];
  const pair = (layout: string) => ({ s: r.results.find((x) => x.layout === layout && x.shipper === 'strata'), p: r.results.find((x) => x.layout === layout && x.shipper === 'rsyslog') });
  if (r.rsyslogSkipped === null) {
    const metric = (label: string, f: (x: ShipResult) => number | null) => [label, ...layouts.map((l) => (({ s, p }) => formatRatio(s ? f(s) : null, p ? f(p) : null))(pair(l)))];
    out.push(
      '',
      'Strata / rsyslog (above 1× Strata is faster in lines/s and MB/s, and uses more in wall time, CPU and memory):',
      '',
      '```',
      formatTable(
        ['metric', ...layouts],
        [
          metric('wall time', (x) => x.seconds),
          metric('lines/s', (x) => x.linesPerSec),
          metric('MB/s', (x) => x.mbPerSec),
          metric('CPU seconds', (x) => x.cpuSeconds),
          metric('peak RSS', (x) => x.peakRssBytes),
        ],
      ),
      '```',
    );
  } else {
    out.push('', `rsyslog skipped: ${r.rsyslogSkipped}`);
  }
  return out.join('\n') + '\n';
}
