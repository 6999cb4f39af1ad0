import { CORPUS_START_MS } from './corpus.ts';

/**
 * The query set every system answers, written once per system so the translations can be read side by side.
 * Terms were picked from the Loghub samples with our tokenizer; shares of a uniform replay (from the 31,987
 * sample lines): failed 4.6%, "received block" 0.9%, conn* 6.6%, user AND root 2.8%, failed AND NOT password
 * 3.0%, error 6.6%.
 *
 * Tokenizer differences, which make counts comparable only where the tokenizers agree:
 * - Strata: a token is a maximal run of letters, marks, digits and `_`, lower-cased.
 * - ripgrep `-w`: a match must sit between non-word characters, where word = Unicode \w (letters, marks,
 *   digits, connector punctuation such as `_`): the same boundaries as ours on this ASCII corpus. A phrase is
 *   written `a\W+b` because our phrase adjacency skips any run of separators, not one space.
 * - SQLite FTS5 `unicode61`: `_` is a separator, so `foo_conn` yields `conn` (matches `conn*` there, not here)
 *   and `input_userauth` yields `userauth`. Expect its counts to differ slightly on `conn*`, `user` and `block`.
 */

/** Half-open window `[fromMs, toMs)` on `@timestamp`. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** A shell-free pipeline: each stage is `[command, ...args]`; the first stage gets the input file appended. */
export interface RgPlan {
  /** The bare messages (`corpus.log`), or the NDJSON when the query needs timestamps. */
  readonly input: 'raw' | 'ndjson';
  readonly stages: readonly (readonly string[])[];
  /** `count`: the last stage prints one integer (`rg -c`, nothing when 0); `lines`: count its output lines. */
  readonly output: 'count' | 'lines';
}

/**
 * SQL over the schema of peers/sqlite-fts5.ts: `logs(id, ts, system, message)` and the external-content FTS5
 * table `logs_fts(message)` whose rowid is `logs.id`. Named parameters: `@match`, `@from`, `@to`.
 */
export interface SqlitePlan {
  readonly match: string;
  readonly sql: string;
}

export interface BenchQuery {
  /** Short, stable key used in tables and by run.ts. */
  readonly name: string;
  readonly description: string;
  /** Strata query text; a time range and a `latest` limit are passed beside it, as the search API takes them. */
  readonly strata: string;
  readonly timeRange?: TimeRange;
  /** When set, fetch the newest `latest` matches instead of counting them; the count is the rows returned. */
  readonly latest?: number;
  readonly rg: RgPlan;
  readonly sqlite: SqlitePlan;
}

const DAY_MS = 86_400_000;
/** Day 15 of the corpus: with timestamps spread evenly over 30 days it holds about 1/30 of the lines. */
export const TIME_RANGE_WINDOW: TimeRange = { fromMs: CORPUS_START_MS + 14 * DAY_MS, toMs: CORPUS_START_MS + 15 * DAY_MS };

// --no-config: a user's RIPGREP_CONFIG_PATH must not change what is measured.
const RG = ['rg', '--no-config'] as const;
const COUNT_SQL = 'SELECT count(*) FROM logs_fts WHERE logs_fts MATCH @match';

export const QUERY_SET: readonly BenchQuery[] = [
  {
    name: 'term',
    description: 'count of one term',
    strata: 'failed',
    rg: { input: 'raw', stages: [[...RG, '-c', '-i', '-w', 'failed']], output: 'count' },
    sqlite: { match: 'failed', sql: COUNT_SQL },
  },
  {
    name: 'phrase',
    description: 'count of a two-word phrase',
    strata: '"received block"',
    rg: { input: 'raw', stages: [[...RG, '-c', '-i', '-w', 'received\\W+block']], output: 'count' },
    sqlite: { match: '"received block"', sql: COUNT_SQL },
  },
  {
    name: 'prefix',
    description: 'count of a prefix',
    strata: 'conn*',
    rg: { input: 'raw', stages: [[...RG, '-c', '-i', '-w', 'conn\\w*']], output: 'count' },
    sqlite: { match: 'conn*', sql: COUNT_SQL },
  },
  {
    name: 'and',
    description: 'count of two terms on one line',
    strata: 'user AND root',
    rg: { input: 'raw', stages: [[...RG, '-i', '-w', 'user'], [...RG, '-c', '-i', '-w', 'root']], output: 'count' },
    sqlite: { match: 'user AND root', sql: COUNT_SQL },
  },
  {
    name: 'not',
    description: 'count of a term without another',
    strata: 'failed AND NOT password',
    rg: { input: 'raw', stages: [[...RG, '-i', '-w', 'failed'], [...RG, '-c', '-v', '-i', '-w', 'password']], output: 'count' },
    sqlite: { match: 'failed NOT password', sql: COUNT_SQL },
  },
  {
    name: 'time-range',
    description: 'count of a term within one day',
    strata: 'failed',
    timeRange: TIME_RANGE_WINDOW,
    // grep has no time index: the first stage selects the day by matching the epoch-ms digits of each NDJSON
    // line, so it reads the whole (larger) NDJSON file; the second stage counts the term. The term cannot occur
    // in the JSON keys or system names, and this corpus has no control characters whose `\t`-style escapes
    // would glue a letter to the word.
    rg: {
      input: 'ndjson',
      stages: [
        [...RG, `^\\{"@timestamp":(?:${decimalRangeRegex(TIME_RANGE_WINDOW.fromMs, TIME_RANGE_WINDOW.toMs - 1)}),`],
        [...RG, '-c', '-i', '-w', 'failed'],
      ],
      output: 'count',
    },
    // ids follow ingest order, which is time order here, so the window becomes a rowid range that FTS5 seeks
    // to directly; joining on logs.ts instead costs a row lookup per match (8 ms vs 0.03 ms at 200k lines).
    // The bounds use ORDER BY ts LIMIT 1, not min(id)/max(id), which the planner answers by scanning.
    sqlite: {
      match: 'failed',
      sql:
        'SELECT count(*) FROM logs_fts WHERE logs_fts MATCH @match AND rowid BETWEEN ' +
        '(SELECT id FROM logs WHERE ts >= @from ORDER BY ts LIMIT 1) AND (SELECT id FROM logs WHERE ts < @to ORDER BY ts DESC LIMIT 1)',
    },
  },
  {
    name: 'latest-100',
    description: 'newest 100 lines with a term',
    strata: 'error',
    latest: 100,
    // A grep cannot read backwards: it scans everything and keeps the tail (the file is in time order).
    rg: { input: 'raw', stages: [[...RG, '-i', '-w', 'error'], ['tail', '-n', '100']], output: 'lines' },
    // rowid order is ts order (see time-range); ORDER BY ts would sort every match before keeping 100.
    sqlite: {
      match: 'error',
      sql: 'SELECT l.ts, l.message FROM logs_fts f JOIN logs l ON l.id = f.rowid WHERE logs_fts MATCH @match ORDER BY f.rowid DESC LIMIT 100',
    },
  },
];

/**
 * A regex matching exactly the decimal integers in `[lo, hi]` (same digit count), built from aligned blocks:
 * `1768435200000..1768521599999` becomes a handful of alternatives like `17684[4-9]\d{8}`.
 */
export function decimalRangeRegex(lo: number, hi: number): string {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || lo > hi || String(lo).length !== String(hi).length) {
    throw new RangeError(`decimalRangeRegex needs 0 <= lo <= hi with the same digit count, got ${lo}..${hi}`);
  }
  const blocks: { head: string; k: number }[] = [];
  for (let n = lo; n <= hi; ) {
    let k = 0;
    while (n % 10 ** (k + 1) === 0 && n + 10 ** (k + 1) - 1 <= hi) k++;
    const s = String(n);
    blocks.push({ head: s.slice(0, s.length - k), k });
    n += 10 ** k;
  }
  const alts: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    const { head, k } = blocks[i];
    if (head === '') {
      alts.push(`\\d{${k}}`);
      break;
    }
    const stem = head.slice(0, -1);
    let j = i + 1;
    while (j < blocks.length && blocks[j].k === k && blocks[j].head.slice(0, -1) === stem) j++;
    const first = head.at(-1)!;
    const last = blocks[j - 1].head.at(-1)!;
    const digit = first === last ? first : `[${first}-${last}]`;
    alts.push(stem + digit + (k > 0 ? `\\d{${k}}` : ''));
    i = j;
  }
  return alts.join('|');
}
