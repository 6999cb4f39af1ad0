import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSync as snappy } from 'snappy';
import { LokiPush } from '../ingest/protocols/proto/loki-push.ts';
import { Otlp } from '../ingest/protocols/proto/otlp-logs.ts';
import type { Corpus } from './corpus.ts';
import { createIngestKey, startNodeProcess } from './node-process.ts';
import { formatBytes, formatTable, watchPeakRss } from './stats.ts';

/**
 * Ingest throughput per protocol: the same lines sent to a fresh node (its own process, so its peak memory is its
 * own) in each protocol a shipper speaks, timed from the first request to the last acknowledgement (syslog has no
 * acknowledgement: to the moment search counts every line). Request bodies are encoded before the clock starts;
 * what is timed is the node's decoding, pipeline and durable storage. Then a flood from many connections at
 * once, to show that overload is refused with 429 while the node's memory stays bounded.
 *
 * Every HTTP shipper authenticates with an API key that may only ingest into the bench's indices, in the header its
 * kind of client sends: `ApiKey` as Elasticsearch's clients (and Strata's agent) do, `Bearer` as Loki clients
 * (promtail's `bearer_token`) and OTLP exporters (a configured `Authorization` header) do. Syslog has no credentials.
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
  /** Requests that got no answer (the connection failed), with the first few causes. */
  transportErrors: number;
  transportCauses: string[];
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
  /** The scheme its kind of client sends an API key with. */
  scheme: 'ApiKey' | 'Bearer';
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
    'native NDJSON': { path: '/api/v1/indices/bench/ingest', headers: { 'content-type': 'application/x-ndjson' }, scheme: 'ApiKey', bodies: batches.map((b) => Buffer.from(ndjson(b))) },
    'Elasticsearch _bulk': {
      path: '/_bulk',
      headers: { 'content-type': 'application/x-ndjson' },
      scheme: 'ApiKey',
      bodies: batches.map((b) => Buffer.from(b.map((l) => `{"index":{"_index":"bench"}}\n${JSON.stringify({ '@timestamp': l.ts, message: l.message, system: l.system })}\n`).join(''))),
    },
    'Loki push, JSON': {
      path: '/loki/api/v1/push?index=bench',
      headers: { 'content-type': 'application/json' },
      scheme: 'Bearer',
      bodies: batches.map((b) => Buffer.from(JSON.stringify({ streams: [...byStream(b)].map(([system, ls]) => ({ stream: { system }, values: ls.map((l) => [ns(l.ts), l.message]) })) }))),
    },
    'Loki push, protobuf + snappy': {
      path: '/loki/api/v1/push?index=bench',
      headers: { 'content-type': 'application/x-protobuf' },
      scheme: 'Bearer',
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
        return [`OTLP logs, ${kind}`, { path: '/v1/logs?index=bench', headers: { 'content-type': kind === 'JSON' ? 'application/json' : 'application/x-protobuf' }, scheme: 'Bearer', bodies: batches.map(encode) }];
      }),
    ),
  };
}

/** Sends every body with the API key `key`, CONCURRENCY at a time, retrying 429s after their Retry-After. */
async function send(url: string, key: string, e: Encoded): Promise<void> {
  const headers = { ...e.headers, authorization: `${e.scheme} ${key}` };
  let next = 0;
  const worker = async () => {
    while (next < e.bodies.length) {
      const body = e.bodies[next++];
      for (;;) {
        const res = await fetch(url + e.path, { method: 'POST', headers, body });
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

/** Records stored in every index, asked as the admin. */
async function count(url: string, authorization: string): Promise<number> {
  const res = await fetch(url + '/api/v1/search', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ index: '*', size: 0 }) });
  const text = await res.text();
  // No index yet (syslog lines still on their way): nothing stored.
  if (res.status === 404) return 0;
  if (!res.ok) throw new Error(`counting records answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { total?: number }).total ?? 0;
}

/** The indices the shippers of this bench write to; their API keys may ingest there and nowhere else. */
const BENCH_INDICES = ['bench', 'flood'];

async function measure(
  name: string,
  lines: number,
  wireBytes: number,
  syslog: boolean,
  run: (url: string, key: string, syslogPort: number | null, count: () => Promise<number>) => Promise<void>,
): Promise<ProtocolResult> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-proto-'));
  const node = await startNodeProcess(dir, { syslog });
  const { child, url, syslogPort, stop, authorization } = node;
  const rss = watchPeakRss(child.pid!);
  try {
    // Issued before the clock starts: a shipper is given its key once, not per run.
    const key = syslog ? '' : await createIngestKey(node, `bench ${name}`, BENCH_INDICES);
    const counted = () => count(url, authorization);
    const t0 = performance.now();
    await run(url, key, syslogPort, counted);
    const seconds = (performance.now() - t0) / 1000;
    const stored = await counted();
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
    results.push(await measure(name, lines.length, bytes, false, (url, key) => send(url, key, e)));
  }
  // Syslog over TCP, RFC 5424, octet-counted as rsyslog forwards; done when search counts every line.
  log('protocol bench: syslog TCP');
  const frames = lines.map((l) => {
    const msg = Buffer.from(`<134>1 ${new Date(l.ts).toISOString()} host ${l.system} - - - ${l.message}`);
    return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
  });
  const stream = Buffer.concat(frames);
  results.push(
    await measure('syslog, TCP (RFC 5424)', lines.length, stream.length, true, async (_url, _key, port, counted) => {
      await new Promise<void>((ok, fail) => {
        const s = connect(port!, '127.0.0.1', () => s.end(stream, ok));
        s.on('error', fail);
      });
      const until = Date.now() + 120_000;
      while ((await counted()) < lines.length) {
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
  const node = await startNodeProcess(dir);
  const { child, url, stop } = node;
  const rss = watchPeakRss(child.pid!);
  const headers = { 'content-type': 'application/x-ndjson', authorization: `ApiKey ${await createIngestKey(node, 'bench flood', BENCH_INDICES)}` };
  // 64 bodies of this size in flight are well over the node's 256 MiB ingest budget, so it must refuse some.
  const body = Buffer.from(ndjson(Array.from({ length: 40_000 }, (_, i) => lines[i % lines.length])));
  const connections = 64;
  let requests = 0;
  let answered429 = 0;
  let transportErrors = 0;
  const transportCauses: string[] = [];
  const t0 = performance.now();
  const until = Date.now() + 15_000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          let res: Response;
          try {
            res = await fetch(url + '/api/v1/indices/flood/ingest', { method: 'POST', headers, body });
            await res.arrayBuffer();
          } catch (e) {
            // Counted, not fatal: what the flood must show is that the node stays up and refuses with 429; a
            // dropped connection is reported beside that. A node that died fails the bench below.
            transportErrors++;
            const cause = String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
            if (transportCauses.length < 3) transportCauses.push(cause);
            continue;
          }
          requests++;
          if (res.status === 429) {
            answered429++;
            await new Promise((r) => setTimeout(r, 50));
          } else if (res.status !== 200) throw new Error(`flood: ${res.status}`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (child.exitCode !== null) throw new Error(`flood: the node exited with ${child.exitCode} under the flood`);
    return { seconds, connections, requests, answered429, transportErrors, transportCauses, storedLines: await count(url, node.authorization), peakRssBytes: rss.stop() };
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
      `${flood.answered429.toLocaleString('en-US')} answered 429, ` +
      (flood.transportErrors > 0 ? `${flood.transportErrors} got no answer (${flood.transportCauses.join(', ')}), ` : '') +
      `${flood.storedLines.toLocaleString('en-US')} lines stored, node peak RSS ` +
      `${flood.peakRssBytes === null ? '—' : formatBytes(flood.peakRssBytes)}`,
  ].join('\n');
}
