import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Corpus } from '../corpus.ts';
import { QUERY_SET, type BenchQuery } from '../queries.ts';
import { DEFAULT_RUNS, PeerUnavailableError, queryResult, sampleQuery, type PeerResult, type QueryResult, type QueryRunner } from './result.ts';

/**
 * SQLite FTS5 through better-sqlite3 (^12: 13.x needs Node 22), as the embedded inverted-index peer.
 *
 * Schema: a rowid table `logs(id, ts, system, message)` that stores each line once, and an external-content
 * FTS5 table `logs_fts(message)` that indexes it without a second copy (a plain FTS5 table would also keep one).
 * A contentless table would be smaller but could not return the lines of a `latest` query, which Strata does.
 * Tokenizer `unicode61` (the default) splits on `_`, unlike ours: see queries.ts.
 *
 * Ingest reads the NDJSON, inserts in transactions of INGEST_BATCH_LINES, then builds the ts index, merges the
 * FTS segments ('optimize', as Strata's merges do) and checkpoints the WAL. `ingestLinesPerSec` counts only
 * time spent inside SQLite, not reading and parsing the file, so it is the peer's best case.
 * Runs in this process, so its peak memory cannot be told apart from Node's and is not reported.
 */

const INGEST_BATCH_LINES = 20_000;
const READ_CHUNK_BYTES = 4 << 20;

export interface SqliteOptions {
  /** Defaults to `sqlite-fts5.db` beside the corpus; replaced on every run, since ingest is measured. */
  readonly dbFile?: string;
  readonly onProgress?: (linesDone: number, linesTotal: number) => void;
}

export type CorpusRecords = Pick<Corpus, 'ndjsonFile' | 'rawBytes' | 'lines'>;

export async function runSqlite(
  corpus: CorpusRecords,
  queries: readonly BenchQuery[] = QUERY_SET,
  runs: number = DEFAULT_RUNS,
  opts: SqliteOptions = {},
): Promise<PeerResult> {
  const peer = await openSqlite(corpus, opts);
  try {
    const results: QueryResult[] = [];
    for (const q of queries) {
      const r = peer.runner(q);
      results.push(queryResult(q.name, await sampleQuery(r.once, runs), r.count()));
    }
    return peer.finish(results);
  } finally {
    peer.close();
  }
}

/** SQLite loaded with the corpus, its queries ready to time (alone, or paired with Strata's: see samplePaired). */
export interface SqlitePeer {
  runner(q: BenchQuery): QueryRunner;
  /** The peer's figures with its timed queries; closes the database. */
  finish(queries: readonly QueryResult[]): PeerResult;
  close(): void;
}

/** Creates the database and ingests the corpus into it (timed), leaving it open for queries. */
export async function openSqlite(corpus: CorpusRecords, opts: SqliteOptions = {}): Promise<SqlitePeer> {
  const Database = await loadDriver();
  const dbFile = opts.dbFile ?? join(dirname(corpus.ndjsonFile), 'sqlite-fts5.db');
  removeDb(dbFile);
  const db = new Database(dbFile);
  let ingest: ReturnType<typeof ingestNdjson>;
  try {
    ingest = ingestNdjson(db, corpus, opts.onProgress);
  } catch (e) {
    db.close();
    throw e;
  }
  return {
    runner: (q) => queryRunner(db, q),
    finish(queries) {
      const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
      db.close();
      return {
        system: `SQLite ${version} FTS5`,
        ingestLinesPerSec: corpus.lines / ingest.sqliteSeconds,
        sizeBytes: statSync(dbFile).size + sizeOrZero(dbFile + '-wal'),
        rawBytes: corpus.rawBytes,
        peakRssBytes: null,
        queries,
        notes: [
          `SQLite: ingest ${Math.round(corpus.lines / ingest.wallSeconds).toLocaleString('en-US')} lines/s counting NDJSON read + JSON.parse; ` +
            `of its ${ingest.sqliteSeconds.toFixed(1)} s, ts index + FTS optimize + checkpoint took ${ingest.finishSeconds.toFixed(1)} s`,
          'SQLite: unicode61 splits on "_" (ours does not), so conn*/user/block counts may differ slightly',
        ],
      };
    },
    close() {
      if (db.open) db.close();
    },
  };
}

type DatabaseCtor = typeof BetterSqlite3;

async function loadDriver(): Promise<DatabaseCtor> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (err) {
    throw new PeerUnavailableError('SQLite FTS5', 'better-sqlite3 is not installed or its native build failed: npm rebuild better-sqlite3', { cause: err });
  }
}

function ingestNdjson(db: BetterSqlite3.Database, corpus: CorpusRecords, onProgress: SqliteOptions['onProgress']) {
  // WAL with synchronous=NORMAL is the usual durable-enough setting for bulk loads; FULL measured the same here.
  // A 256 MiB page cache keeps FTS segment merges in memory, which is how one would tune a bulk load.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -262144');
  db.exec(`
    CREATE TABLE logs (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, system TEXT NOT NULL, message TEXT NOT NULL);
    CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='logs', content_rowid='id', tokenize='unicode61');
  `);
  const insertLog = db.prepare('INSERT INTO logs (id, ts, system, message) VALUES (?, ?, ?, ?)');
  const insertFts = db.prepare('INSERT INTO logs_fts (rowid, message) VALUES (?, ?)');
  type Row = { '@timestamp': number; message: string; system: string };
  const insertBatch = db.transaction((rows: Row[], firstId: number) => {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      insertLog.run(firstId + i, r['@timestamp'], r.system, r.message);
      insertFts.run(firstId + i, r.message);
    }
  });

  const wallStart = performance.now();
  let sqliteMs = 0;
  let nextId = 1;
  let batch: Row[] = [];
  const flush = () => {
    const t = performance.now();
    insertBatch(batch, nextId);
    sqliteMs += performance.now() - t;
    nextId += batch.length;
    batch = [];
    onProgress?.(nextId - 1, corpus.lines);
  };
  forEachLine(corpus.ndjsonFile, (line) => {
    batch.push(JSON.parse(line) as Row);
    if (batch.length === INGEST_BATCH_LINES) flush();
  });
  if (batch.length > 0) flush();

  const finishStart = performance.now();
  db.exec('CREATE INDEX logs_ts ON logs (ts)');
  db.exec("INSERT INTO logs_fts (logs_fts) VALUES ('optimize')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  const finishMs = performance.now() - finishStart;
  sqliteMs += finishMs;
  return { sqliteSeconds: sqliteMs / 1000, wallSeconds: (performance.now() - wallStart) / 1000, finishSeconds: finishMs / 1000 };
}

function queryRunner(db: BetterSqlite3.Database, q: BenchQuery): QueryRunner {
  const stmt = db.prepare(q.sqlite.sql);
  // Bind only the parameters the statement names: better-sqlite3 rejects unknown ones.
  const params: Record<string, string | number> = { match: q.sqlite.match };
  if (q.sqlite.sql.includes('@from')) params.from = q.timeRange?.fromMs ?? -Infinity;
  if (q.sqlite.sql.includes('@to')) params.to = q.timeRange?.toMs ?? Infinity;
  const run = (): number => (q.latest !== undefined ? stmt.all(params).length : (stmt.pluck().get(params) as number));
  let count = -1;
  return {
    once() {
      const t = performance.now();
      count = run();
      return performance.now() - t;
    },
    count: () => count,
  };
}

/** Calls `fn` for each non-empty line; lines are decoded as UTF-8 and may span read chunks. */
function forEachLine(path: string, fn: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        if (nl > start) fn(chunk.toString('utf8', start, nl));
        start = nl + 1;
      }
      // Copied, because `buf` is overwritten by the next read.
      carry = Buffer.from(chunk.subarray(start));
    }
    if (carry.length > 0) fn(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

function removeDb(dbFile: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(dbFile + suffix, { force: true });
}

function sizeOrZero(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
