/**
 * Property tests of the whole engine against the brute-force oracle in indexer/testing.ts: random records are
 * ingested through Engine.ingest (NDJSON), and random queries through Engine.search must return exactly the
 * records the oracle selects, in exact (ts, index, shard, offset) order, with exact totals, pages and aggregations,
 * whether the records sit in the head, in sealed or merged segments, or were recovered after a restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeConfigSchema, parseConfig } from '../../lib/config.ts';
import type { Fields, FieldValue } from '../../lib/record.ts';
import { Engine } from '../../node/engine.ts';
import type { SearchRequest, SearchResponse } from '../../shards/index.ts';
import { oracleFor, randomQuery, randomRecords, Rng, tempDir, type TestRecord } from '../testing.ts';

/** Fixed seed and modest runs so the file stays well under a minute; STRATA_PROP_SEED / _RUNS override for soaks. */
const SEED = Number(process.env.STRATA_PROP_SEED ?? 0x5eed);
const RUNS = Number(process.env.STRATA_PROP_RUNS ?? 8);

interface Doc extends TestRecord {
  /** Unique per doc, stored as field `n`; how hits are mapped back to docs. */
  n: number;
  index: string;
  /** Learned from the hit's `_id` once ingested; stable from then on (restarts included). */
  shard?: number;
  seq?: number;
}

interface Run {
  seed: number;
  count: number;
  shards: number;
  seconds: number;
}

const runArb: fc.Arbitrary<Run> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  count: fc.integer({ min: 1, max: 320 }),
  shards: fc.integer({ min: 1, max: 3 }),
  seconds: fc.integer({ min: 1, max: 60 }),
});

/** Engines opened by a property run; closed (once) when it ends, even when it fails. */
let openEngines: Engine[] = [];

async function openEngine(dataDir: string, over: Record<string, unknown> = {}): Promise<Engine> {
  // Tokens in 4 records of a segment are grouped by pattern (64 by default), so that these few hundred records
  // exercise grouped postings too.
  const cfg = parseConfig(NodeConfigSchema, { dataDir, sealDocs: 1_000_000, sealAgeMs: 60_000, buildThreads: 1, groupedPostingsMinDocs: 4, ...over }, 'test');
  const e = await Engine.open(cfg, () => {});
  openEngines.push(e);
  return e;
}

async function closeEngine(e: Engine): Promise<void> {
  openEngines = openEngines.filter((x) => x !== e);
  await e.close();
}

function makeDocs(rng: Rng, count: number, seconds: number, indices: string[], firstN = 0): Doc[] {
  return randomRecords(rng, count, { seconds }).map((r, i) => ({ ...r, n: firstN + i, index: rng.pick(indices) }));
}

/** Ingests docs in random batch sizes, in order, one index at a time per batch; checks every line is accepted. */
async function ingest(engine: Engine, docs: Doc[], rng: Rng, maxBatch = 60): Promise<void> {
  let i = 0;
  while (i < docs.length) {
    const index = docs[i].index;
    let j = i + 1;
    const limit = i + rng.int(1, maxBatch);
    while (j < docs.length && j < limit && docs[j].index === index) j++;
    const lines = docs.slice(i, j).map((d) =>
      JSON.stringify({ '@timestamp': rng.chance(0.5) ? d.ts : new Date(d.ts).toISOString(), ...d.fields, n: d.n }),
    );
    const body = lines.join(rng.chance(0.2) ? '\r\n' : '\n') + (rng.chance(0.5) ? '\n' : '');
    const r = await engine.ingest(index, body, 'ndjson');
    assert.deepEqual(r, { accepted: j - i, rejected: 0, errors: [] });
    i = j;
  }
}

function search(engine: Engine, req: Partial<SearchRequest> & { index: SearchRequest['index'] }): SearchResponse {
  return engine.search({ query: '', size: 10_000, sort: 'desc', ...req } as SearchRequest);
}

/**
 * Maps every doc to the (shard, offset) the engine gave it, from a match-all search, checking that this is a
 * bijection, that offsets in each shard are contiguous from 0, and (when batches were ingested one after another)
 * that offsets follow ingest order. Docs already placed must keep their place.
 */
function learnPlacement(engine: Engine, docs: Doc[], sequential = true): void {
  const byIndex = new Map<string, Doc[]>();
  for (const d of docs) byIndex.set(d.index, [...(byIndex.get(d.index) ?? []), d]);
  for (const [index, list] of byIndex) {
    const byN = new Map(list.map((d) => [d.n, d]));
    const r = search(engine, { index, sort: 'asc' });
    assert.equal(r.total, list.length, `match-all total in ${index}`);
    assert.equal(r.hits.length, list.length);
    const perShard = new Map<number, Doc[]>();
    for (const h of r.hits) {
      const d = byN.get(h.n as number);
      assert.ok(d, `hit ${h._id} has unknown n=${String(h.n)}`);
      byN.delete(d.n);
      const m = /^(\d+)-(\d+)$/.exec(h._id);
      assert.ok(m, `_id ${h._id}`);
      const shard = Number(m[1]);
      const seq = Number(m[2]);
      if (d.shard !== undefined) assert.deepEqual([shard, seq], [d.shard, d.seq], `doc n=${d.n} moved`);
      d.shard = shard;
      d.seq = seq;
      perShard.set(shard, [...(perShard.get(shard) ?? []), d]);
    }
    assert.equal(byN.size, 0, 'every doc is found exactly once');
    for (const [shard, ds] of perShard) {
      const seqs = ds.map((d) => d.seq!).sort((a, b) => a - b);
      assert.deepEqual(seqs, seqs.map((_, k) => k), `offsets of ${index}/${shard} are contiguous from 0`);
      if (sequential) {
        const byOffset = [...ds].sort((a, b) => a.seq! - b.seq!).map((d) => d.n);
        assert.deepEqual(byOffset, [...byOffset].sort((a, b) => a - b), `offsets of ${index}/${shard} follow ingest order`);
      }
    }
  }
}

function keyCmp(a: Doc, b: Doc): number {
  return a.ts - b.ts || (a.index < b.index ? -1 : a.index > b.index ? 1 : 0) || a.shard! - b.shard! || a.seq! - b.seq!;
}

function timeMs(v: string | number | undefined, dflt: number): number {
  return v === undefined ? dflt : typeof v === 'number' ? v : Date.parse(v);
}

/** The oracle's matches: docs of the indices, in the time range, that the query selects. */
function matching(docs: Doc[], query: string, req: { from?: string | number; to?: string | number; indices?: string[] }): Doc[] {
  const match = oracleFor(query);
  const from = timeMs(req.from, -Infinity);
  const to = timeMs(req.to, Infinity);
  return docs.filter((d) => (!req.indices || req.indices.includes(d.index)) && d.ts >= from && d.ts <= to && match(d));
}

/** The oracle's answer: matching docs in sort order. */
function expectedHits(docs: Doc[], query: string, req: { from?: string | number; to?: string | number; sort: 'asc' | 'desc'; indices?: string[] }): Doc[] {
  const out = matching(docs, query, req);
  out.sort(req.sort === 'asc' ? keyCmp : (a, b) => keyCmp(b, a));
  return out;
}

function describeDiff(want: number[], got: number[]): string {
  const w = new Set(want);
  const g = new Set(got);
  const missing = want.filter((n) => !g.has(n)).slice(0, 10);
  const extra = got.filter((n) => !w.has(n)).slice(0, 10);
  let firstDiff = 0;
  while (firstDiff < want.length && want[firstDiff] === got[firstDiff]) firstDiff++;
  return `want ${want.length} got ${got.length}; missing n=${missing.join(',')} extra n=${extra.join(',')} first order difference at ${firstDiff}`;
}

function hitDoc(hit: Record<string, FieldValue>): { meta: [string, string, string]; fields: Fields } {
  const { _id, _index, '@timestamp': at, ...fields } = hit;
  return { meta: [String(_id), String(_index), String(at)], fields };
}

/** One search compared to the oracle: total, the exact hits in exact order, and each hit's full content. */
function checkSearch(engine: Engine, docs: Doc[], what: string, query: string, opts: { from?: string | number; to?: string | number; sort: 'asc' | 'desc'; indices: string[] }): void {
  const want = expectedHits(docs, query, opts);
  const r = search(engine, { index: opts.indices.length === 1 ? opts.indices[0] : opts.indices, query, from: opts.from, to: opts.to, sort: opts.sort });
  const ctx = `[${what}] query=${JSON.stringify(query)} sort=${opts.sort} from=${String(opts.from)} to=${String(opts.to)}`;
  const got = r.hits.map((h) => h.n as number);
  assert.equal(r.total, want.length, `${ctx}: total; ${describeDiff(want.map((d) => d.n), got)}`);
  assert.deepEqual(got, want.map((d) => d.n), `${ctx}: hits; ${describeDiff(want.map((d) => d.n), got)}`);
  assert.equal(r.next, null, `${ctx}: no next page`);
  r.hits.forEach((h, i) => {
    const d = want[i];
    const { meta, fields } = hitDoc(h);
    assert.deepEqual(meta, [`${d.shard}-${d.seq}`, d.index, new Date(d.ts).toISOString()], `${ctx}: hit ${i} meta`);
    assert.deepEqual(fields, { ...d.fields, n: d.n }, `${ctx}: hit ${i} fields`);
  });
}

/** Random from/to among the docs' timestamps (±1 ms), as epoch ms or ISO text, sometimes open on one side. */
function randomTimeRange(rng: Rng, docs: Doc[]): { from?: string | number; to?: string | number } {
  const t = () => {
    const v = (docs.length ? rng.pick(docs).ts : 0) + rng.pick([0, 0, 0, -1, 1]);
    return rng.chance(0.3) ? new Date(v).toISOString() : v;
  };
  const r = rng.float();
  if (r < 0.2) return { from: t() };
  if (r < 0.4) return { to: t() };
  let from = t();
  let to = t();
  if (timeMs(from, 0) > timeMs(to, 0) && rng.chance(0.85)) [from, to] = [to, from];
  return { from, to };
}

const FIXED_QUERIES = [
  '', '*', 'error', '10.0.0.1', 'user-42', '"connection refused"', 'conn*', 'level:error', 'level:INFO', 'status:404',
  'status>=300', 'status:[200 TO 404}', 'code:404', 'code:*', 'ok:true', 'true', '-ok:*', 'café', 'cafe\u0301',
  'İstanbul', '𝑥𝑦z', 'http.method:get', 'NOT level:* OR status<1', '404', 'nosuch:*', '@timestamp:*',
];

/** Fixed and random queries, each in both orders, with and without a random time range. */
function checkQueries(engine: Engine, docs: Doc[], rng: Rng, what: string, indices: string[], randomCount: number): void {
  const records = docs;
  const queries = [...rng.shuffle([...FIXED_QUERIES]).slice(0, 6), ...Array.from({ length: randomCount }, () => randomQuery(rng, { records }))];
  for (const q of queries) {
    const sort = rng.chance(0.5) ? 'asc' : 'desc';
    checkSearch(engine, docs, what, q, { sort, indices });
    checkSearch(engine, docs, what + ' +time', q, { sort: sort === 'asc' ? 'desc' : 'asc', indices, ...randomTimeRange(rng, docs) });
  }
}

/** Whether the index's sealed segments index bigram terms: a message field with common tokens in any of them. */
function hasBigrams(engine: Engine, index: string): boolean {
  return engine.indices.get(index)!.shards.some((s) => s.view().segments.some((g) => (g.commonTokens('message')?.length ?? 0) > 0));
}

function shardStats(engine: Engine, index: string): { docs: number; headDocs: number; segments: number; lastError: string | null }[] {
  return engine.indices.get(index)!.shards.map((s) => s.stats());
}

async function withEngine(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir(prefix);
  try {
    await fn(dir.path);
  } finally {
    for (const e of openEngines.splice(0)) await e.close();
    dir.remove();
  }
}

const fcOpts = (offset: number) => ({ seed: SEED + offset, numRuns: RUNS, includeErrorInReport: true });

describe('engine vs brute-force oracle: search', () => {
  test('head (nothing sealed), then sealed segments, then one merged segment', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) =>
        withEngine('hsm', async (dir) => {
          const rng = new Rng(run.seed);
          const engine = await openEngine(dir);
          // Phrases of common words come from bigram terms when the index has them, from positions otherwise.
          const bigrams = run.seed % 2 === 0;
          // Words come from patterns when the index has them and a segment's fit (segment/patterns.ts).
          const patterns = (run.seed >>> 1) % 2 === 0;
          await engine.indices.create('logs', { shards: run.shards, phrase_bigrams: bigrams, word_patterns: patterns });
          const docs = makeDocs(rng, run.count, run.seconds, ['logs']);
          await ingest(engine, docs, rng);
          learnPlacement(engine, docs);
          for (const s of shardStats(engine, 'logs')) assert.equal(s.segments, 0, 'nothing sealed yet');
          checkQueries(engine, docs, rng, 'head', ['logs'], 14);

          await engine.flush('logs', false);
          for (const s of shardStats(engine, 'logs')) assert.equal(s.headDocs, 0, 'all sealed');
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, 'sealed', ['logs'], 14);

          // More batches make several segments per shard before the merge.
          const more = makeDocs(rng, rng.int(1, 80), run.seconds, ['logs'], run.count);
          await ingest(engine, more, rng, 25);
          await engine.flush('logs', false);
          const all = [...docs, ...more];
          learnPlacement(engine, all);
          checkQueries(engine, all, rng, 'sealed x2', ['logs'], 6);

          await engine.flush('logs', true);
          for (const s of shardStats(engine, 'logs')) {
            assert.equal(s.headDocs, 0);
            assert.ok(s.segments <= 1, `merged into one segment, got ${s.segments}`);
            assert.equal(s.lastError, null);
          }
          learnPlacement(engine, all);
          checkQueries(engine, all, rng, 'merged', ['logs'], 14);
          const segments = engine.indices.get('logs')!.shards.flatMap((s) => s.view().segments.filter((g) => g.field('message')?.text));
          const patterned = segments.filter((g) => g.patternsOf('message') !== null).length;
          if (!patterns) assert.equal(patterned, 0, 'word_patterns: false');
          assert.equal(hasBigrams(engine, 'logs'), bigrams && patterned < segments.length, `phrase_bigrams: ${bigrams}, ${patterned} of ${segments.length} segments with patterns`);
        }),
      ),
      fcOpts(1),
    );
  });

  test('restart: head replayed from the log, sealed and merged segments reopened; offsets continue', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, fc.constantFrom('none', 'flush', 'merge'), async (run, before) =>
        withEngine('restart', async (dir) => {
          const rng = new Rng(run.seed);
          let engine = await openEngine(dir);
          const part1 = makeDocs(rng, run.count, run.seconds, ['logs']);
          const part2 = makeDocs(rng, rng.int(0, 60), run.seconds, ['logs'], run.count);
          const docs = [...part1, ...part2];
          await engine.indices.create('logs', { shards: run.shards });
          await ingest(engine, part1, rng);
          if (before === 'flush') await engine.flush('logs', false);
          if (before === 'merge') await engine.flush('logs', true);
          await ingest(engine, part2, rng);
          learnPlacement(engine, docs);
          await closeEngine(engine);

          engine = await openEngine(dir);
          const st = shardStats(engine, 'logs');
          assert.equal(st.reduce((a, s) => a + s.docs, 0), docs.length, 'every doc recovered');
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, `restart after ${before}`, ['logs'], 14);

          // Appends after the restart get the next offsets; a second restart after a merge still agrees.
          const part3 = makeDocs(rng, rng.int(1, 60), run.seconds, ['logs'], docs.length);
          await ingest(engine, part3, rng);
          docs.push(...part3);
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, 'appended after restart', ['logs'], 6);
          await engine.flush('logs', rng.chance(0.5));
          await closeEngine(engine);

          engine = await openEngine(dir);
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, 'second restart', ['logs'], 8);
        }),
      ),
      fcOpts(2),
    );
  });

  test('while seals (up to 3 at once per shard) and merges run in the background, then merge and restart', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, fc.integer({ min: 5, max: 60 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }), async (run, sealDocs, mergeMinSegments, buildThreads) =>
        withEngine('mixed', async (dir) => {
          const rng = new Rng(run.seed);
          let engine = await openEngine(dir, { sealDocs, mergeMinSegments, buildThreads });
          const docs = makeDocs(rng, run.count, run.seconds, ['logs']);
          await engine.indices.create('logs', { shards: run.shards });
          // Batch by batch, querying right away while background seals and merges may be in flight.
          for (let i = 0; i < docs.length; ) {
            const k = rng.int(1, 40);
            const batch = docs.slice(i, i + k);
            await ingest(engine, batch, rng, k);
            i += batch.length;
            const sofar = docs.slice(0, i);
            learnPlacement(engine, sofar);
            checkQueries(engine, sofar, rng, `mixed @${i}`, ['logs'], 1);
          }
          checkQueries(engine, docs, rng, 'mixed', ['logs'], 10);
          // A forced merge while background work may still be running, then a restart.
          await engine.flush('logs', true);
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, 'mixed, merged', ['logs'], 6);
          for (const s of shardStats(engine, 'logs')) assert.equal(s.lastError, null);
          await closeEngine(engine);
          engine = await openEngine(dir, { sealDocs, mergeMinSegments, buildThreads });
          learnPlacement(engine, docs);
          checkQueries(engine, docs, rng, 'mixed, restarted', ['logs'], 6);
        }),
      ),
      fcOpts(3),
    );
  });

  test('time ranges: from/to are inclusive, as epoch ms or ISO text, in head and segments', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) =>
        withEngine('time', async (dir) => {
          const rng = new Rng(run.seed);
          const engine = await openEngine(dir);
          await engine.indices.create('logs', { shards: run.shards });
          const docs = makeDocs(rng, run.count, run.seconds, ['logs']);
          const half = rng.int(0, docs.length);
          await ingest(engine, docs.slice(0, half), rng);
          await engine.flush('logs', false);
          await ingest(engine, docs.slice(half), rng);
          learnPlacement(engine, docs);
          const tss = [...new Set(docs.map((d) => d.ts))].sort((a, b) => a - b);
          for (let k = 0; k < 30; k++) {
            const q = k % 3 === 0 ? '' : randomQuery(rng, { records: docs });
            // Exact single-instant ranges, ranges between neighbours, and empty (from > to) ranges.
            const a = rng.pick(tss);
            const b = rng.pick(tss);
            const ranges: { from?: string | number; to?: string | number }[] = [
              { from: a, to: a },
              { from: Math.min(a, b), to: Math.max(a, b) },
              { from: Math.min(a, b) + 1, to: Math.max(a, b) - 1 },
              { from: Math.max(a, b), to: Math.min(a, b) - 1 },
              { from: new Date(a).toISOString(), to: new Date(a).toISOString() },
              randomTimeRange(rng, docs),
            ];
            for (const tr of ranges) checkSearch(engine, docs, 'time', q, { sort: rng.chance(0.5) ? 'asc' : 'desc', indices: ['logs'], ...tr });
          }
          await engine.flush('logs', true);
          for (let k = 0; k < 10; k++) {
            checkSearch(engine, docs, 'time merged', randomQuery(rng, { records: docs }), { sort: 'desc', indices: ['logs'], ...randomTimeRange(rng, docs) });
          }
        }),
      ),
      fcOpts(4),
    );
  });
});

/** Pages through with `search_after: next` and checks the pages concatenate to exactly the full result. */
function checkPaging(engine: Engine, docs: Doc[], what: string, query: string, sort: 'asc' | 'desc', size: number, indices: string[], tr: { from?: string | number; to?: string | number }): void {
  const want = expectedHits(docs, query, { sort, indices, ...tr }).map((d) => d.n);
  const ctx = `[${what}] paging query=${JSON.stringify(query)} sort=${sort} size=${size} range=${JSON.stringify(tr)}`;
  const got: number[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const r = search(engine, { index: indices, query, sort, size, search_after: after, ...tr });
    pages++;
    assert.ok(pages <= Math.max(1, Math.ceil(want.length / size)), `${ctx}: too many pages`);
    assert.equal(r.total, want.length, `${ctx}: total on page ${pages}`);
    assert.ok(r.hits.length <= size, `${ctx}: page ${pages} has ${r.hits.length} hits`);
    got.push(...r.hits.map((h) => h.n as number));
    if (r.next === null) break;
    assert.equal(r.hits.length, size, `${ctx}: a page before the last is full`);
    after = r.next;
  }
  assert.deepEqual(got, want, `${ctx}: concatenated pages; ${describeDiff(want, got)}`);
  assert.equal(new Set(got).size, got.length, `${ctx}: no duplicates`);
}

describe('engine vs brute-force oracle: paging', () => {
  test('cursor paging over two indices and 1-3 shards each, both orders, head / mixed / merged', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, fc.integer({ min: 1, max: 3 }), async (run, shardsB) =>
        withEngine('paging', async (dir) => {
          const rng = new Rng(run.seed);
          const engine = await openEngine(dir);
          await engine.indices.create('pa', { shards: run.shards });
          await engine.indices.create('pb', { shards: shardsB });
          const docs = makeDocs(rng, run.count, run.seconds, ['pa', 'pb']);
          await ingest(engine, docs, rng);
          learnPlacement(engine, docs);
          const pageAll = (what: string) => {
            for (let k = 0; k < 5; k++) {
              const q = k === 0 ? '' : randomQuery(rng, { records: docs });
              const size = rng.pick([1, 2, 3, 5, 7, 16]);
              const indices = rng.pick([['pa', 'pb'], ['pa', 'pb'], ['pa'], ['pb']]);
              const tr = rng.chance(0.3) ? randomTimeRange(rng, docs) : {};
              checkPaging(engine, docs, what, q, 'desc', size, indices, tr);
              checkPaging(engine, docs, what, q, 'asc', size, indices, tr);
            }
          };
          pageAll('head');
          await engine.flush('pa', false);
          const more = makeDocs(rng, rng.int(1, 50), run.seconds, ['pa', 'pb'], docs.length);
          await ingest(engine, more, rng);
          docs.push(...more);
          learnPlacement(engine, docs);
          pageAll('pa sealed + head');
          await engine.flush('p*', true);
          pageAll('merged');
        }),
      ),
      fcOpts(5),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Aggregations

/** How the engine keys a field value in buckets: booleans as their text, numbers and strings apart. */
function bucketKey(v: FieldValue): string {
  return typeof v === 'boolean' ? `string:${v}` : `${typeof v}:${String(v)}`;
}

function termsOracle(matches: Doc[], field: string): { counts: Map<string, number>; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const d of matches) {
    const v = d.fields[field];
    if (v === undefined) missing++;
    else counts.set(bucketKey(v), (counts.get(bucketKey(v)) ?? 0) + 1);
  }
  return { counts, missing };
}

function numbersOf(matches: Doc[], field: string): number[] {
  return matches.map((d) => d.fields[field]).filter((v): v is number => typeof v === 'number');
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (p / 100) * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (pos - i) : sorted[i];
}

interface TermsResult {
  buckets: { key: FieldValue; doc_count: number }[];
  sum_other_doc_count: number;
  missing: number;
}
interface HistogramResult {
  interval_ms: number;
  split_keys?: FieldValue[];
  buckets: { key: number; key_as_string: string; doc_count: number; split?: { key: FieldValue; doc_count: number }[]; other?: number }[];
}

function checkTerms(got: TermsResult, matches: Doc[], field: string, size: number, ctx: string): void {
  const { counts, missing } = termsOracle(matches, field);
  assert.equal(got.missing, missing, `${ctx}: terms(${field}) missing`);
  // Buckets by count descending; ties by key text (ties between "404" and 404 have no defined order).
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0].slice(a[0].indexOf(':') + 1) < b[0].slice(b[0].indexOf(':') + 1) ? -1 : 1));
  const top = sorted.slice(0, size);
  const gotMap = new Map(got.buckets.map((b) => [bucketKey(b.key), b.doc_count]));
  assert.equal(got.buckets.length, top.length, `${ctx}: terms(${field}) bucket count`);
  for (let i = 1; i < got.buckets.length; i++) assert.ok(got.buckets[i - 1].doc_count >= got.buckets[i].doc_count, `${ctx}: terms(${field}) order`);
  if (size >= counts.size) assert.deepEqual(gotMap, counts, `${ctx}: terms(${field}) counts`);
  else assert.deepEqual(got.buckets.map((b) => [bucketKey(b.key), b.doc_count]), top, `${ctx}: terms(${field}) top ${size}`);
  const other = sorted.slice(size).reduce((a, e) => a + e[1], 0);
  assert.equal(got.sum_other_doc_count, other, `${ctx}: terms(${field}) sum_other_doc_count`);
}

function checkHistogram(got: HistogramResult, all: Doc[], matches: Doc[], intervalMs: number, range: { from: number; to: number }, split: { field: string; size: number } | null, ctx: string): void {
  assert.equal(got.interval_ms, intervalMs, `${ctx}: interval`);
  // The grid spans the query's time range clipped to the data's extent (of all records, matching or not).
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of all) (lo = Math.min(lo, d.ts)), (hi = Math.max(hi, d.ts));
  const a = Math.max(range.from, lo);
  const b = Math.min(range.to, hi);
  let origin = 0;
  let count = 0;
  if (Number.isFinite(a) && Number.isFinite(b) && b >= a) {
    origin = Math.floor(a / intervalMs) * intervalMs;
    count = Math.floor(b / intervalMs) - Math.floor(a / intervalMs) + 1;
  }
  const bucketOf = (ts: number) => Math.floor((ts - origin) / intervalMs);
  const counts = new Array<number>(count).fill(0);
  for (const d of matches) counts[bucketOf(d.ts)]++;
  assert.deepEqual(
    got.buckets.map((x) => [x.key, x.key_as_string, x.doc_count]),
    counts.map((n, i) => [origin + i * intervalMs, new Date(origin + i * intervalMs).toISOString(), n]),
    `${ctx}: histogram buckets`,
  );
  if (!split) {
    assert.equal(got.split_keys, undefined);
    return;
  }
  const per = new Map<string, { key: FieldValue; counts: number[] }>();
  for (const d of matches) {
    const v = d.fields[split.field];
    if (v === undefined) continue;
    const key = typeof v === 'boolean' ? String(v) : v;
    const k = bucketKey(key);
    if (!per.has(k)) per.set(k, { key, counts: new Array<number>(count).fill(0) });
    per.get(k)!.counts[bucketOf(d.ts)]++;
  }
  const total = (e: { counts: number[] }) => e.counts.reduce((x, y) => x + y, 0);
  const top = [...per.values()].sort((x, y) => total(y) - total(x) || (String(x.key) < String(y.key) ? -1 : 1)).slice(0, split.size);
  assert.deepEqual(got.split_keys, top.map((e) => e.key), `${ctx}: split keys`);
  got.buckets.forEach((bk, i) => {
    const want = top.map((e) => ({ key: e.key, doc_count: e.counts[i] }));
    assert.deepEqual(bk.split, want, `${ctx}: split of bucket ${i}`);
    assert.equal(bk.other, counts[i] - want.reduce((x, y) => x + y.doc_count, 0), `${ctx}: other of bucket ${i}`);
  });
}

function checkAggs(engine: Engine, docs: Doc[], what: string, query: string, tr: { from?: string | number; to?: string | number }): void {
  const ctx = `[${what}] aggs query=${JSON.stringify(query)} range=${JSON.stringify(tr)}`;
  const percents = [0, 1, 25, 50, 75, 90, 99.9, 100];
  const r = search(engine, {
    index: 'logs',
    query,
    size: 0,
    ...tr,
    aggs: {
      lv: { terms: { field: 'level', size: 10 } },
      lv2: { terms: { field: 'level', size: 2 } },
      code: { terms: { field: 'code', size: 50 } },
      ok: { terms: { field: 'ok' } },
      st: { stats: { field: 'status' } },
      cst: { stats: { field: 'code' } },
      pc: { percentiles: { field: 'status', percents } },
      h3: { date_histogram: { interval: '3s' } },
      h7: { date_histogram: { interval: 7000, split: { field: 'level', size: 3 } } },
      hok: { date_histogram: { fixed_interval: '10s', split: { field: 'ok' } } },
      hno: { date_histogram: { interval: 7000, split: { field: 'no_such_field', size: 3 } } },
    },
  });
  const matches = matching(docs, query, tr);
  assert.equal(r.total, matches.length, `${ctx}: total`);
  assert.deepEqual(r.hits, [], `${ctx}: size 0 returns no hits`);
  assert.equal(r.next, null);
  const aggs = r.aggs as Record<string, unknown>;
  checkTerms(aggs.lv as TermsResult, matches, 'level', 10, ctx);
  checkTerms(aggs.lv2 as TermsResult, matches, 'level', 2, ctx);
  checkTerms(aggs.code as TermsResult, matches, 'code', 50, ctx);
  checkTerms(aggs.ok as TermsResult, matches, 'ok', 10, ctx);
  for (const [name, field] of [['st', 'status'], ['cst', 'code']]) {
    const xs = numbersOf(matches, field);
    const sum = xs.reduce((a, x) => a + x, 0);
    assert.deepEqual(
      aggs[name],
      { count: xs.length, min: xs.length ? Math.min(...xs) : null, max: xs.length ? Math.max(...xs) : null, avg: xs.length ? sum / xs.length : null, sum },
      `${ctx}: stats(${field})`,
    );
  }
  const sorted = numbersOf(matches, 'status').sort((a, b) => a - b);
  assert.deepEqual(aggs.pc, { values: Object.fromEntries(percents.map((p) => [String(p), percentile(sorted, p)])) }, `${ctx}: percentiles(status)`);
  const range = { from: timeMs(tr.from, -Infinity), to: timeMs(tr.to, Infinity) };
  checkHistogram(aggs.h3 as HistogramResult, docs, matches, 3000, range, null, ctx + ' h3');
  checkHistogram(aggs.h7 as HistogramResult, docs, matches, 7000, range, { field: 'level', size: 3 }, ctx + ' h7');
  checkHistogram(aggs.hok as HistogramResult, docs, matches, 10_000, range, { field: 'ok', size: 5 }, ctx + ' hok');
  checkHistogram(aggs.hno as HistogramResult, docs, matches, 7000, range, { field: 'no_such_field', size: 3 }, ctx + ' hno');
}

describe('engine vs brute-force oracle: aggregations', () => {
  test('terms, stats, percentiles and date_histogram (with split) in head, mixed, merged and restarted states', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) =>
        withEngine('aggs', async (dir) => {
          const rng = new Rng(run.seed);
          let engine = await openEngine(dir);
          await engine.indices.create('logs', { shards: run.shards });
          const docs = makeDocs(rng, run.count, run.seconds, ['logs']);
          const half = rng.int(0, docs.length);
          const checkAll = (what: string) => {
            for (let k = 0; k < 6; k++) {
              const q = k === 0 ? '' : randomQuery(rng, { records: docs.slice(0, 50) });
              checkAggs(engine, sofar(), what, q, {});
              checkAggs(engine, sofar(), what, q, randomTimeRange(rng, sofar()));
            }
          };
          let ingested = 0;
          const sofar = () => docs.slice(0, ingested);
          await ingest(engine, docs.slice(0, half), rng);
          ingested = half;
          checkAll('head');
          await engine.flush('logs', false);
          await ingest(engine, docs.slice(half), rng);
          ingested = docs.length;
          checkAll('sealed + head');
          await engine.flush('logs', true);
          checkAll('merged');
          await closeEngine(engine);
          engine = await openEngine(dir);
          checkAll('restarted');
        }),
      ),
      fcOpts(6),
    );
  });
});

describe('engine: concurrent flush and merge requests', () => {
  /**
   * Concurrent flushes (two HTTP flush requests at once) used to livelock: one flush's own seal was not tracked
   * as background work, so the other spun forever on `await backgroundDone` in microtasks, starving the event
   * loop. A livelock would starve this test's timers too, so the scenario runs in a child process with a timeout.
   */
  test('concurrent flushes and merges all complete, with exact results (child process)', async () => {
    const dir = tempDir('concurrent-flush');
    try {
      const script = join(dir.path, 'child.mts');
      const engineTs = new URL('../../node/engine.ts', import.meta.url).pathname;
      const configTs = new URL('../../lib/config.ts', import.meta.url).pathname;
      writeFileSync(
        script,
        `import { Engine } from ${JSON.stringify(engineTs)};
import { NodeConfigSchema, parseConfig } from ${JSON.stringify(configTs)};
const cfg = parseConfig(NodeConfigSchema, { dataDir: ${JSON.stringify(join(dir.path, 'data'))}, sealDocs: 7, mergeMinSegments: 2 }, 'test');
const e = await Engine.open(cfg, () => {});
await e.indices.create('x', { shards: 2 });
let n = 0;
const batch = () => Array.from({ length: 5 }, () => JSON.stringify({ '@timestamp': 1000 + (n % 3), message: 'm' + n++ })).join('\\n');
for (let round = 0; round < 12; round++) {
  const work = [e.ingest('x', batch(), 'ndjson'), e.flush('x', round % 2 === 1), e.flush('x', round % 3 === 0), e.ingest('x', batch(), 'ndjson'), e.flush('x', true)];
  await Promise.all(work);
  const r = e.search({ index: 'x', query: '', size: 10000, sort: 'desc' });
  if (r.total !== n || new Set(r.hits.map((h) => h.message)).size !== n) throw new Error('round ' + round + ': ' + r.total + ' of ' + n);
}
await e.close();
process.stdout.write('ok ' + n);
`,
      );
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
      assert.equal(r.signal, null, `the child was killed after 30 s: concurrent flushes hang\n${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'ok 120');
    } finally {
      dir.remove();
    }
  });
});
