import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSync as snappy } from 'snappy';
import { LokiPush } from '../ingest/protocols/proto/loki-push.ts';
import { Otlp } from '../ingest/protocols/proto/otlp-logs.ts';
import type { Corpus } from './corpus.ts';
import { startNodeProcess } from './node-process.ts';
import { formatBytes, formatTable, watchPeakRss } from './stats.ts';

/**
 * Ingest throughput per protocol: the same lines sent to a fresh node (its own process, so its peak memory is its
 * own) in each protocol a shipper speaks, timed from the first request to the last acknowledgement (syslog has no
 * acknowledgement: to the moment search counts every line). Request bodies are encoded before the clock starts;
 * what is timed is the node's decoding, pipeline and durable storage. Then a flood from many connections at
 * once, to show that overload is refused with 429 while the node's memory stays bounded.
 */

const BATCH = 5_000;
const CONCURRENCY = 4;

interface Line {
  ts: number;
  message: string;
  system: string;
}

export interface ProtocolResult {
  protocol: string;
  lines: number;
  seconds: number;
  linesPerSec: number;
  /** Request bytes on the wire per second. */
  mbPerSec: number;
  peakRssBytes: number | null;
}

export interface FloodResult {
  seconds: number;
  connections: number;
  requests: number;
  answered429: number;
  storedLines: number;
  peakRssBytes: number | null;
}

function readLines(file: string, n: number): Line[] {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(Math.min(n * 400, 256 << 20));
  const got = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const out: Line[] = [];
  for (const l of buf.subarray(0, got).toString('utf8').split('\n')) {
    if (out.length === n) break;
    if (!l.endsWith('}')) continue;
    const r = JSON.parse(l) as { '@timestamp': number; message: string; system: string };
    out.push({ ts: r['@timestamp'], message: r.message, system: r.system });
  }
  return out;
}

interface Encoded {
  path: string;
  headers: Record<string, string>;
  bodies: Buffer[];
}

const chunks = <T>(a: T[], n: number): T[][] => Array.from({ length: Math.ceil(a.length / n) }, (_, i) => a.slice(i * n, (i + 1) * n));
const ndjson = (ls: Line[]) => ls.map((l) => JSON.stringify({ '@timestamp': l.ts, message: l.message, system: l.system })).join('\n') + '\n';

/** Each protocol's request bodies for the same lines. */
function encodeAll(lines: Line[]): Record<string, Encoded> {
  const batches = chunks(lines, BATCH);
  const byStream = (ls: Line[]) => {
    const m = new Map<string, Line[]>();
    for (const l of ls) (m.get(l.system) ?? m.set(l.system, []).get(l.system)!).push(l);
    return m;
  };
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  return {
    'native NDJSON': { path: '/api/v1/indices/bench/ingest', headers: { 'content-type': 'application/x-ndjson' }, bodies: batches.map((b) => Buffer.from(ndjson(b))) },
    'Elasticsearch _bulk': {
      path: '/_bulk',
      headers: { 'content-type': 'application/x-ndjson' },
      bodies: batches.map((b) => Buffer.from(b.map((l) => `{"index":{"_index":"bench"}}\n${JSON.stringify({ '@timestamp': l.ts, message: l.message, system: l.system })}\n`).join(''))),
    },
    'Loki push, JSON': {
      path: '/loki/api/v1/push?index=bench',
      headers: { 'content-type': 'application/json' },
      bodies: batches.map((b) => Buffer.from(JSON.stringify({ streams: [...byStream(b)].map(([system, ls]) => ({ stream: { system }, values: ls.map((l) => [ns(l.ts), l.message]) })) }))),
    },
    'Loki push, protobuf + snappy': {
      path: '/loki/api/v1/push?index=bench',
      headers: { 'content-type': 'application/x-protobuf' },
      bodies: batches.map((b) =>
        snappy(
          Buffer.from(
            LokiPush.PushRequest.encode(
              LokiPush.PushRequest.fromObject({
                streams: [...byStream(b)].map(([system, ls]) => ({
                  labels: `{system="${system}"}`,
                  entries: ls.map((l) => ({ timestamp: { seconds: Math.floor(l.ts / 1000), nanos: (l.ts % 1000) * 1e6 }, line: l.message })),
                })),
              }),
            ).finish(),
          ),
        ),
      ),
    },
    ...Object.fromEntries(
      (['JSON', 'protobuf'] as const).map((kind) => {
        const request = (b: Line[]) => ({
          resourceLogs: [...byStream(b)].map(([system, ls]) => ({
            resource: { attributes: [{ key: 'service.name', value: { stringValue: system } }] },
            scopeLogs: [{ scope: { name: 'bench' }, logRecords: ls.map((l) => ({ timeUnixNano: ns(l.ts), severityNumber: 9, body: { stringValue: l.message } })) }],
          })),
        });
        const encode = (b: Line[]) =>
          kind === 'JSON' ? Buffer.from(JSON.stringify(request(b))) : Buffer.from(Otlp.ExportLogsServiceRequest.encode(Otlp.ExportLogsServiceRequest.fromObject(request(b))).finish());
        return [`OTLP logs, ${kind}`, { path: '/v1/logs?index=bench', headers: { 'content-type': kind === 'JSON' ? 'application/json' : 'application/x-protobuf' }, bodies: batches.map(encode) }];
      }),
    ),
  };
}

/** Sends every body, CONCURRENCY at a time, retrying 429s after their Retry-After. */
async function send(url: string, e: Encoded): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < e.bodies.length) {
      const body = e.bodies[next++];
      for (;;) {
        const res = await fetch(url + e.path, { method: 'POST', headers: e.headers, body });
        const text = await res.text();
        if (res.status === 429) {
          await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
          continue;
        }
        if (res.status >= 300 || text.includes('"errors":true')) throw new Error(`${e.path} answered ${res.status}: ${text.slice(0, 300)}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function count(url: string): Promise<number> {
  const res = await fetch(url + '/api/v1/search', { method: 'POST', body: JSON.stringify({ index: '*', size: 0 }) });
  return ((await res.json()) as { total?: number }).total ?? 0;
}

async function measure(name: string, lines: number, wireBytes: number, syslog: boolean, run: (url: string, syslogPort: number | null) => Promise<void>): Promise<ProtocolResult> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-proto-'));
  const { child, url, syslogPort, stop } = await startNodeProcess(dir, { syslog });
  const rss = watchPeakRss(child.pid!);
  try {
    const t0 = performance.now();
    await run(url, syslogPort);
    const seconds = (performance.now() - t0) / 1000;
    const stored = await count(url);
    if (stored !== lines) throw new Error(`${name}: ${stored} of ${lines} lines stored`);
    return { protocol: name, lines, seconds, linesPerSec: Math.round(lines / seconds), mbPerSec: wireBytes / seconds / 1e6, peakRssBytes: rss.stop() };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runProtocolBench(corpus: Corpus, n: number, log: (m: string) => void): Promise<{ results: ProtocolResult[]; flood: FloodResult }> {
  const lines = readLines(corpus.ndjsonFile, n);
  const encoded = encodeAll(lines);
  const results: ProtocolResult[] = [];
  for (const [name, e] of Object.entries(encoded)) {
    log(`protocol bench: ${name}`);
    const bytes = e.bodies.reduce((s, b) => s + b.length, 0);
    results.push(await measure(name, lines.length, bytes, false, (url) => send(url, e)));
  }
  // Syslog over TCP, RFC 5424, octet-counted as rsyslog forwards; done when search counts every line.
  log('protocol bench: syslog TCP');
  const frames = lines.map((l) => {
    const msg = Buffer.from(`<134>1 ${new Date(l.ts).toISOString()} host ${l.system} - - - ${l.message}`);
    return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
  });
  const stream = Buffer.concat(frames);
  results.push(
    await measure('syslog, TCP (RFC 5424)', lines.length, stream.length, true, async (url, port) => {
      await new Promise<void>((ok, fail) => {
        const s = connect(port!, '127.0.0.1', () => s.end(stream, ok));
        s.on('error', fail);
      });
      const until = Date.now() + 120_000;
      while ((await count(url)) < lines.length) {
        if (Date.now() > until) throw new Error('syslog lines did not all arrive within 120 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return { results, flood: await flood(lines, log) };
}

/** 64 connections sending 8 MB NDJSON bodies as fast as answers come back, for 15 s. */
async function flood(lines: Line[], log: (m: string) => void): Promise<FloodResult> {
  log('protocol bench: flood');
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-flood-'));
  const { child, url, stop } = await startNodeProcess(dir);
  const rss = watchPeakRss(child.pid!);
  // 64 bodies of this size in flight are well over the node's 256 MiB ingest budget, so it must refuse some.
  const body = Buffer.from(ndjson(Array.from({ length: 40_000 }, (_, i) => lines[i % lines.length])));
  const connections = 64;
  let requests = 0;
  let answered429 = 0;
  const t0 = performance.now();
  const until = Date.now() + 15_000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          const res = await fetch(url + '/api/v1/indices/flood/ingest', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
          await res.arrayBuffer();
          requests++;
          if (res.status === 429) {
            answered429++;
            await new Promise((r) => setTimeout(r, 50));
          } else if (res.status !== 200) throw new Error(`flood: ${res.status}`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, connections, requests, answered429, storedLines: await count(url), peakRssBytes: rss.stop() };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}


export function formatProtocolReport({ results, flood }: { results: ProtocolResult[]; flood: FloodResult }): string {
  const rows = results.map((r) => [r.protocol, r.linesPerSec.toLocaleString('en-US'), r.mbPerSec.toFixed(1), r.seconds.toFixed(1), r.peakRssBytes === null ? '—' : formatBytes(r.peakRssBytes)]);
  const lines = results[0]?.lines ?? 0;
  return [
    formatTable([`ingest by protocol (${lines.toLocaleString('en-US')} lines, fresh node each)`, 'lines/s', 'MB/s on the wire', 's', 'node peak RSS'], rows),
    '',
    `flood: ${flood.connections} connections × 40,000-line bodies for ${flood.seconds.toFixed(0)} s: ${flood.requests.toLocaleString('en-US')} requests, ` +
      `${flood.answered429.toLocaleString('en-US')} answered 429, ${flood.storedLines.toLocaleString('en-US')} lines stored, node peak RSS ` +
      `${flood.peakRssBytes === null ? '—' : formatBytes(flood.peakRssBytes)}`,
  ].join('\n');
}
