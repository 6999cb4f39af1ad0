import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Corpus } from './corpus.ts';
import { sampleQuery, type PeerResult, type QueryResult, type QueryRunner } from './peers/result.ts';
import type { BenchQuery } from './queries.ts';
import { median, p99, watchPeakRss } from './stats.ts';
import { createIngestKey, NODE_MMAP_THRESHOLD, startNodeProcess, type NodeProcess } from './node-process.ts';
import { native } from '../indexer/native/index.ts';

/** Lines per ingest request and requests in flight: what a shipper fleet would send to one node. */
const BATCH_LINES = 10_000;
const CONCURRENCY = 4;
const INDEX = 'bench';

export interface StrataExtras {
  ingestMBps: number;
  ingestSeconds: number;
  /** Time from the last acknowledgement until every record was sealed and the merge policy had nothing left to do. */
  settleSeconds: number;
  retries429: number;
  /** CPU seconds of this process (the bench's HTTP client, on the node's cores) from the first request to the last acknowledgement. */
  clientCpuSeconds: number;
  /** Client-side round trips (HTTP included), next to the engine's own took_ms reported as the latency. */
  httpMedianMs: Record<string, number>;
  histogram: { name: string; medianMs: number; p99Ms: number; buckets: number }[];
  segments: number;
  /**
   * The node's CPU seconds by thread (its `strata_cpu_seconds_total`) from the first ingest request to the last
   * acknowledgement, and to the end of the settle; null where the node cannot tell (not Linux).
   */
  cpu: { ingest: CpuByThread; settled: CpuByThread } | null;
}

export type CpuByThread = Record<'main' | 'seal' | 'merge' | 'other', number>;

function cpuSince(a: CpuByThread, b: CpuByThread): CpuByThread {
  return { main: b.main - a.main, seal: b.seal - a.seal, merge: b.merge - a.merge, other: b.other - a.other };
}

/** The node's `strata_cpu_seconds_total` by thread, or null when it reports none. */
async function cpuByThread(url: string, authorization: string): Promise<CpuByThread | null> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization } })).text();
  const out: CpuByThread = { main: 0, seal: 0, merge: 0, other: 0 };
  let seen = false;
  for (const m of text.matchAll(/^strata_cpu_seconds_total\{thread="(main|seal|merge|other)"\} (\S+)$/gm)) {
    out[m[1] as keyof CpuByThread] = Number(m[2]);
    seen = true;
  }
  return seen ? out : null;
}

/**
 * How the bench's shipper fleet authenticates its ingest: an API key that may only ingest into the bench index (what
 * a real shipper is given), or the admin's password over Basic (each request then costs the node a cache lookup
 * of the verified password; scrypt runs once per credential every few minutes).
 */
export type IngestAuth = 'apikey' | 'basic';
export const INGEST_AUTHS: readonly IngestAuth[] = ['apikey', 'basic'];

/** The Authorization header the bench's ingest sends to `node` for `auth`, creating the key it needs. */
export async function ingestAuthorization(node: NodeProcess, index: string, auth: IngestAuth): Promise<string> {
  return auth === 'basic' ? node.authorization : `ApiKey ${await createIngestKey(node, 'bench ingest', [index])}`;
}

/**
 * Yields request bodies of BATCH_LINES lines read straight from the NDJSON file, without parsing them. Each body is
 * a view of one reused read buffer, valid until the next `next()`: the caller copies it first. The bench client
 * shares the node's two cores, so it reads into memory it reuses: a fresh buffer per read and per body cost it
 * 4.4 s of CPU over the 5M-line corpus (more than half in page faults), against 0.7 s this way.
 */
export function* batches(file: string, batchLines = BATCH_LINES, readBytes = 32 << 20): Generator<Buffer> {
  const fd = openSync(file, 'r');
  let buf = Buffer.allocUnsafe(readBytes);
  // buf[0, have) holds bytes read and not yet yielded.
  let have = 0;
  try {
    for (;;) {
      if (have === buf.length) {
        // One batch longer than the buffer: grow it.
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, have);
        buf = grown;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      have += n;
      const filled = buf.subarray(0, have);
      let start = 0;
      let pos = 0;
      let lines = 0;
      for (;;) {
        const nl = filled.indexOf(10, pos);
        if (nl < 0) break;
        pos = nl + 1;
        if (++lines === batchLines) {
          yield buf.subarray(start, pos);
          start = pos;
          lines = 0;
        }
      }
      if (n === 0) {
        if (start < have) yield buf.subarray(start, have);
        return;
      }
      buf.copyWithin(0, start, have);
      have -= start;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Sends the corpus's NDJSON to `index` over HTTP as a shipper fleet would (BATCH_LINES per request, CONCURRENCY in
 * flight, retrying 429s after Retry-After), with `authorization` on every request, and resolves once every line is
 * acknowledged: durable and searchable.
 */
export async function ingestCorpus(
  url: string,
  authorization: string,
  index: string,
  corpus: Corpus,
  log: (m: string) => void,
): Promise<{ ingestSeconds: number; retries: number; clientCpuSeconds: number }> {
  const cpu0 = process.cpuUsage();
  let retries = 0;
  let sent = 0;
  const iter = batches(corpus.ndjsonFile);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const started = performance.now();
  let lastLog = started;
  const worker = async () => {
    // This request's body: a copy of the batch (batches() reuses its buffer), in memory this worker reuses.
    let own = Buffer.allocUnsafe(0);
    for (let r = iter.next(); !r.done; r = iter.next()) {
      if (own.length < r.value.length) own = Buffer.allocUnsafe(r.value.length * 2);
      const body = own.subarray(0, r.value.copy(own));
      for (;;) {
        const res = await postBytes(agent, `${url}/api/v1/indices/${index}/ingest`, { 'content-type': 'application/x-ndjson', authorization }, body);
        if (res.status === 429) {
          retries++;
          await new Promise((ok) => setTimeout(ok, 1000 * Number(res.retryAfter ?? 1)));
          continue;
        }
        const j = JSON.parse(res.text) as { accepted: number; rejected: number };
        if (res.status !== 200 || j.rejected > 0) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 300)}`);
        sent += j.accepted;
        break;
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`strata ingest: ${sent.toLocaleString('en-US')} lines, ${Math.round(sent / ((lastLog - started) / 1000)).toLocaleString('en-US')} lines/s`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
  const ingestSeconds = (performance.now() - started) / 1000;
  if (sent !== corpus.lines) throw new Error(`strata accepted ${sent} of ${corpus.lines} lines`);
  log(`strata ingest: ${corpus.lines.toLocaleString('en-US')} lines acknowledged in ${ingestSeconds.toFixed(1)} s; sealing and merging`);
  const cpu = process.cpuUsage(cpu0);
  return { ingestSeconds, retries, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * POSTs `body` through node:http on a keep-alive connection. The client shares the node's cores: sending the
 * corpus with fetch took it 6.8 s of CPU, with node:http 3.4 s (one run each, both reading as batches() does).
 */
function postBytes(agent: Agent, url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ra = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: Array.isArray(ra) ? ra[0] : ra });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(url: string, authorization: string, body: unknown): Promise<Record<string, unknown>> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) };
  let res: Response | null = null;
  for (let attempt = 1; res === null; attempt++) {
    try {
      res = await fetch(url, init);
    } catch (e) {
      // Kept-alive connections the node closed while this process was busy (SQLite's ingest runs synchronously for
      // minutes) stay in fetch's pool until the event loop sees the close: a request sent on one fails before any
      // answer. What the bench posts (searches, a flush) can be sent again, on another connection.
      if (attempt === 3 || (e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
    }
  }
  const j = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(j)}`);
  return j;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** A Strata node loaded with the corpus, its queries ready to time (alone, or paired with a peer's). */
export interface StrataBench {
  runner(q: BenchQuery): QueryRunner;
  /** Times the date histograms, measures the index, stops the node: Strata's figures with its timed queries. */
  finish(queries: readonly QueryResult[], runs: number): Promise<{ result: PeerResult; extras: StrataExtras }>;
  /** Stops the node and deletes its data (what finish also does); safe to call again. */
  close(): Promise<void>;
}

/**
 * Strata measured like its peers: ingest the corpus over HTTP with durability on (fsync per batch), wait until
 * it is all sealed and merged, then time the shared query set. Latency is the engine's `took_ms`. Ingest
 * authenticates as `ingestAuth` says (an ingest-only API key by default); everything else as the admin.
 */
export async function startStrata(corpus: Corpus, log: (m: string) => void, ingestAuth: IngestAuth = 'apikey'): Promise<StrataBench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-'));
  let node: NodeProcess | null = null;
  const close = async () => {
    await node?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    node = await startNodeProcess(dataDir);
    const { child, url, authorization } = node;
    const rss = watchPeakRss(child.pid!);
    const ingestAuthz = await ingestAuthorization(node, INDEX, ingestAuth);
    const cpuStart = await cpuByThread(url, authorization);
    const { ingestSeconds, retries, clientCpuSeconds } = await ingestCorpus(url, ingestAuthz, INDEX, corpus, log);
    const cpuIngest = await cpuByThread(url, authorization);
    const settleStart = performance.now();
    await post(`${url}/api/v1/indices/${INDEX}/flush`, authorization, {});
    const settleSeconds = (performance.now() - settleStart) / 1000;
    const cpuSettled = await cpuByThread(url, authorization);
    const stats = (await (await fetch(`${url}/api/v1/indices`, { headers: { authorization } })).json()) as { indices: { shards: { segments: number }[] }[] };
    const segments = stats.indices[0].shards.reduce((a, s) => a + s.segments, 0);
    const httpMedianMs: Record<string, number> = {};
    const rtts = new Map<string, number[]>();

    const runner = (q: BenchQuery): QueryRunner => {
      const body: Record<string, unknown> = { index: INDEX, query: q.strata, size: q.latest ?? 0 };
      if (q.timeRange) {
        body.from = q.timeRange.fromMs;
        body.to = q.timeRange.toMs - 1; // the API's range is inclusive; the bench's window is half-open
      }
      const rtt: number[] = [];
      rtts.set(q.name, rtt);
      let count = -1;
      return {
        async once(timed) {
          const t = performance.now();
          const j = (await post(`${url}/api/v1/search`, authorization, body)) as { total: number; hits: unknown[]; took_ms: number };
          if (timed) rtt.push(performance.now() - t);
          count = q.latest ? j.hits.length : j.total;
          return j.took_ms;
        },
        count: () => count,
      };
    };

    const finish = async (queries: readonly QueryResult[], runs: number) => {
      for (const [name, rtt] of rtts) httpMedianMs[name] = median(rtt);
      const histogram: StrataExtras['histogram'] = [];
      const histQueries: [string, Record<string, unknown>][] = [
        ['histogram (all, auto)', { date_histogram: { interval: 'auto', buckets: 100 } }],
        ['histogram (all, 1h)', { date_histogram: { interval: '1h' } }],
        ['histogram (failed, 1h)', { date_histogram: { interval: '1h' } }],
        ['histogram (all, 1h, split system)', { date_histogram: { interval: '1h', split: { field: 'system', size: 5 } } }],
      ];
      for (const [name, agg] of histQueries) {
        let buckets = 0;
        const took = await sampleQuery(async () => {
          const j = (await post(`${url}/api/v1/search`, authorization, { index: INDEX, query: name.includes('failed') ? 'failed' : '', size: 0, aggs: { h: agg } })) as {
            took_ms: number;
            aggs: { h: { buckets: unknown[] } };
          };
          buckets = j.aggs.h.buckets.length;
          return j.took_ms;
        }, runs);
        histogram.push({ name, medianMs: median(took), p99Ms: p99(took), buckets });
      }
      const sizeBytes = dirBytes(join(dataDir, 'indices'));
      const peakRssBytes = rss.stop();
      await close();
      return {
        result: {
          system: 'Strata 0.1.0',
          ingestLinesPerSec: Math.round(corpus.lines / ingestSeconds),
          sizeBytes,
          rawBytes: corpus.rawBytes,
          peakRssBytes,
          queries,
          notes: [
            `Strata: ingest over HTTP, ${BATCH_LINES.toLocaleString('en-US')}-line NDJSON batches, ${CONCURRENCY} in flight, fsync per batch, authenticated ${
              ingestAuth === 'apikey' ? 'with an ingest-only API key' : 'as the admin over HTTP Basic'
            }; lines/s counts acknowledged (durable and searchable) lines`,
            'Strata: latency is the engine\u2019s took_ms; HTTP round trips are listed separately',
            `Strata: the node runs with MALLOC_MMAP_THRESHOLD_=${NODE_MMAP_THRESHOLD}, as the README recommends`,
            `Strata: the compiled parts (indexer/native: ingest's line reader and payload encoder; the seal's collector, patterns finder and terms writer) are ${native.reason}`,
          ],
        },
        extras: {
          ingestMBps: corpus.ndjsonBytes / 1e6 / ingestSeconds,
          ingestSeconds,
          settleSeconds,
          retries429: retries,
          clientCpuSeconds,
          httpMedianMs,
          histogram,
          segments,
          cpu: cpuStart && cpuIngest && cpuSettled ? { ingest: cpuSince(cpuStart, cpuIngest), settled: cpuSince(cpuStart, cpuSettled) } : null,
        },
      };
    };
    return { runner, finish, close };
  } catch (e) {
    await close();
    throw e;
  }
}
