/**
 * Shared test fixtures (not exported from index.ts): a seeded PRNG, random records and query strings drawn from one
 * small vocabulary (so terms repeat and queries hit), an independent brute-force oracle of the query language, and
 * a file system that forgets whatever was not fsynced when told to "crash".
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fields } from '../lib/record.ts';
import type { AppendFile, FileSystem } from './log/file.ts';
import { realFileSystem } from './log/file.ts';
import type { Query } from './query/ast.ts';
import { parseQuery } from './query/parser.ts';
import { mulberry32Float } from '../lib/prng.ts';

// ---------------------------------------------------------------------------------------------------------------
// PRNG

export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32Float(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary and records

/**
 * Words of messages and queries. Some tokenize into several tokens (IPs, `user-42`, `3.5`), some share prefixes
 * (`conn`, `connect`, `connection`), some are numbers as text, and some are non-ASCII: precomposed and combining
 * accents, a letter whose lower case grows (`İ`), `ß`, surrogate-pair letters and non-Latin digits.
 */
export const WORDS: readonly string[] = [
  'connection', 'connect', 'connected', 'conn', 'refused', 'timeout', 'error', 'errors', 'failed', 'retry',
  'user', 'users', 'login', 'logout', 'get', 'post', 'api', 'v1', 'v2', 'disk', 'full', 'ok', 'true', 'false',
  'not', 'and', 'or', '404', '500', '42', '3', '5', 'e42', 'db01', 'x_y', 'foo_bar', '_id',
  'user-42', 'user-7', '10.0.0.1', '10.0.0.2', '192.168.1.10', '3.5', 'db01.example.com',
  'café', 'Café', 'Ünïcode', 'naïve', 'straße', 'cafe\u0301', 'İstanbul', '𝑥𝑦z', '٣٤',
];
export const LEVELS: readonly string[] = ['info', 'warn', 'error', 'debug', 'INFO'];
export const HOSTS: readonly string[] = ['web-1', 'web-2', 'db01', '10.0.0.1', 'api.example.com', 'Café-host'];
export const STATUSES: readonly number[] = [200, 200, 201, 204, 301, 404, 404, 500, 503, 42, 3.5, 0, -1];
export const CODE_STRINGS: readonly string[] = ['E42', '404', 'timeout', 'ok', 'user-42'];
export const CODE_NUMBERS: readonly number[] = [404, 42, 7, 3.5];
export const METHODS: readonly string[] = ['GET', 'POST', 'get'];
/** Fields the generators use, and one no record has. */
export const FIELD_NAMES: readonly string[] = ['message', 'level', 'status', 'host', 'ok', 'code', 'http.method'];
export const MISSING_FIELD = 'nosuch';

const SEPARATORS = [' ', ' ', ' ', ' ', ', ', ' - ', '=', '/', ': ', '; ', '\t', ' (', ') ', ' "', '" ', '.'];
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);

export interface TestRecord {
  ts: number;
  fields: Fields;
}

export interface RecordOptions {
  baseTs?: number;
  /** Distinct whole seconds the timestamps fall on; few means many records share a timestamp. */
  seconds?: number;
}

export const BASE_TS = Date.UTC(2024, 0, 15, 12, 0, 0);

function casing(rng: Rng, w: string): string {
  const r = rng.float();
  if (r < 0.7) return w;
  if (r < 0.85) return w.toUpperCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
}

export function randomMessage(rng: Rng): string {
  const n = rng.int(1, 7);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += rng.pick(SEPARATORS);
    s += casing(rng, rng.pick(WORDS));
  }
  return rng.chance(0.1) ? ' ' + s + '!' : s;
}

/** One record: a message, and optional level, status, host, ok, `code` (string, number or boolean) and http.method. */
export function randomRecord(rng: Rng, opts: RecordOptions = {}): TestRecord {
  const base = opts.baseTs ?? BASE_TS;
  const seconds = opts.seconds ?? 40;
  let ts = base + rng.int(0, seconds - 1) * 1000;
  if (rng.chance(0.25)) ts += rng.int(1, 999);
  const fields: Fields = { message: randomMessage(rng) };
  if (rng.chance(0.7)) fields.level = rng.pick(LEVELS);
  if (rng.chance(0.6)) fields.status = rng.pick(STATUSES);
  if (rng.chance(0.5)) fields.host = rng.pick(HOSTS);
  if (rng.chance(0.4)) fields.ok = rng.chance(0.5);
  if (rng.chance(0.35)) {
    const r = rng.float();
    fields.code = r < 0.5 ? rng.pick(CODE_STRINGS) : r < 0.9 ? rng.pick(CODE_NUMBERS) : rng.chance(0.5);
  }
  if (rng.chance(0.2)) fields['http.method'] = rng.pick(METHODS);
  return { ts, fields };
}

export function randomRecords(rng: Rng, n: number, opts: RecordOptions = {}): TestRecord[] {
  return Array.from({ length: n }, () => randomRecord(rng, opts));
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

export interface QueryOptions {
  /** Records to draw phrases and timestamps from, so that phrase and time queries can match. */
  records?: readonly TestRecord[];
  maxDepth?: number;
}

const RANGE_NUMBERS = [-1, 0, 3, 3.5, 42, 200, 204, 300, 404, 500, 503, 1000];

/** A word as a query would write it: random case, but never one of the operators AND/OR/NOT. */
function queryWord(rng: Rng): string {
  const w = rng.pick(WORDS);
  const c = casing(rng, w);
  return KEYWORDS.has(c) ? w : c;
}

/** Tokens with the oracle's own tokenizer. */
export function oracleTokens(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{M}\p{N}_]+/gu) ?? [];
}

function prefixOf(rng: Rng, w: string): string {
  const cps = Array.from(w);
  return cps.slice(0, rng.int(1, cps.length)).join('') + '*';
}

function phrase(rng: Rng, opts: QueryOptions): string {
  let toks: string[];
  if (opts.records && opts.records.length > 0 && rng.chance(0.7)) {
    const r = rng.pick(opts.records);
    const all = oracleTokens(String(r.fields.message));
    const k = Math.min(all.length, rng.int(1, 3));
    const at = rng.int(0, all.length - k);
    toks = all.slice(at, at + k);
  } else {
    toks = Array.from({ length: rng.int(1, 3) }, () => queryWord(rng));
  }
  if (toks.length === 0) toks = ['error'];
  return '"' + toks.join(rng.pick([' ', ' ', ', ', '-'])) + (rng.chance(0.15) ? '*' : '') + '"';
}

function numberText(rng: Rng, n: number): string {
  return rng.chance(0.1) && n >= 0 ? '+' + n : String(n);
}

function timeValue(rng: Rng, opts: QueryOptions): string {
  const recs = opts.records ?? [];
  const t = recs.length > 0 ? rng.pick(recs).ts + rng.pick([0, 0, 0, -1, 1]) : BASE_TS + rng.int(0, 40) * 1000;
  return rng.chance(0.3) ? new Date(t).toISOString() : String(t);
}

function rangeClause(rng: Rng, opts: QueryOptions): string {
  const field = rng.pick(['status', 'status', 'code', '@timestamp', 'level', MISSING_FIELD]);
  const v = () => (field === '@timestamp' ? timeValue(rng, opts) : numberText(rng, rng.pick(RANGE_NUMBERS)));
  switch (rng.int(0, 2)) {
    case 0:
      return field + rng.pick(['>=', '>', '<=', '<', ':>=', ':>', ':<=', ':<']) + v();
    default: {
      let lo = rng.chance(0.2) ? '*' : v();
      let hi = rng.chance(0.2) ? '*' : v();
      if (lo !== '*' && hi !== '*' && field !== '@timestamp' && Number(lo) > Number(hi) && rng.chance(0.8)) [lo, hi] = [hi, lo];
      if (field === '@timestamp' && lo !== '*' && hi !== '*' && rng.chance(0.8)) {
        const [a, b] = [lo, hi].map((x) => (/^\d+$/.test(x) ? Number(x) : Date.parse(x)));
        if (a > b) [lo, hi] = [hi, lo];
      }
      return `${field}:${rng.pick(['[', '{'])}${lo} TO ${hi}${rng.pick([']', '}'])}`;
    }
  }
}

function fieldValue(rng: Rng, field: string, opts: QueryOptions): string {
  switch (field) {
    case 'level':
      return casing(rng, rng.pick(LEVELS));
    case 'host':
      return rng.chance(0.3) ? prefixOf(rng, rng.pick(HOSTS)) : rng.pick(HOSTS);
    case 'status':
      return rng.chance(0.8) ? numberText(rng, rng.pick(STATUSES)) : rng.pick(['2*', '40*', '3.5', 'ok']);
    case 'ok':
      return rng.pick(['true', 'false', 'TRUE', 't*']);
    case 'code':
      return rng.chance(0.5) ? rng.pick(CODE_STRINGS) : numberText(rng, rng.pick(CODE_NUMBERS));
    case 'http.method':
      return casing(rng, rng.pick(METHODS));
    case 'message': {
      const r = rng.float();
      if (r < 0.3) return phrase(rng, opts);
      if (r < 0.5) return prefixOf(rng, rng.pick(WORDS));
      return queryWord(rng);
    }
    default:
      return queryWord(rng);
  }
}

/** One leaf clause: any of the constructs of the query language. */
function clause(rng: Rng, opts: QueryOptions): string {
  const r = rng.float();
  if (r < 0.22) return queryWord(rng);
  if (r < 0.3) return phrase(rng, opts);
  if (r < 0.4) return prefixOf(rng, queryWord(rng));
  if (r < 0.45) {
    // A multi-token bare word made from a record's adjacent tokens, such as `connection-refused`.
    const p = phrase(rng, opts).slice(1, -1).replace(/\*$/, '');
    const toks = oracleTokens(p);
    return toks.length > 0 ? toks.join(rng.pick(['-', '.', '/', ','])) : 'error';
  }
  if (r < 0.7) {
    const f = rng.pick([...FIELD_NAMES, MISSING_FIELD]);
    return `${f}:${fieldValue(rng, f, opts)}`;
  }
  if (r < 0.85) return rangeClause(rng, opts);
  if (r < 0.93) return `${rng.pick([...FIELD_NAMES, MISSING_FIELD, '@timestamp'])}:*`;
  // A field group: the field applies to each clause inside.
  const f = rng.pick(['level', 'message', 'host', 'code']);
  const a = fieldValue(rng, f, opts);
  const b = fieldValue(rng, f, opts);
  return `${f}:(${a} ${rng.pick(['OR', 'AND', ''])} ${rng.chance(0.3) ? '-' : ''}${b})`.replace('  ', ' ');
}

function expr(rng: Rng, depth: number, opts: QueryOptions): string {
  if (depth <= 0 || rng.chance(0.35)) return clause(rng, opts);
  const sub = () => expr(rng, depth - 1, opts);
  const many = () => Array.from({ length: rng.int(2, 3) }, sub);
  switch (rng.int(0, 7)) {
    case 0:
      return many().join(' ');
    case 1:
      return many().join(' AND ');
    case 2:
      return many().join(' OR ');
    case 3:
      return 'NOT ' + sub();
    case 4:
      return '-' + (rng.chance(0.5) ? clause(rng, opts) : '(' + sub() + ')');
    case 5:
      return '(' + sub() + ')';
    case 6:
      return `${sub()} OR ${sub()} ${sub()}`;
    default:
      return `(${sub()} OR ${sub()}) ${rng.chance(0.5) ? 'AND ' : ''}${rng.chance(0.5) ? 'NOT ' : '-'}(${sub()})`;
  }
}

/** A random, valid query string covering every construct of the language, up to `maxDepth` levels of nesting. */
export function randomQuery(rng: Rng, opts: QueryOptions = {}): string {
  const r = rng.float();
  if (r < 0.03) return '';
  if (r < 0.05) return rng.pick(['*', '  ', '* *']);
  return expr(rng, opts.maxDepth ?? 3, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// Oracle

/**
 * Brute-force evaluation of the query language over one record, written from the spec and independent of the
 * engine's matchers: it reuses only the parser's AST. Tokens are maximal runs of letters, marks, digits and `_` of
 * the lower-cased text; booleans are the words true/false; unqualified words never match numbers.
 */
export function bruteForceMatch(query: string, record: TestRecord): boolean {
  return evalOracle(parseQuery(query), record);
}

/** Parses once; returns the oracle as a predicate. */
export function oracleFor(query: string): (r: TestRecord) => boolean {
  const q = parseQuery(query);
  return (r) => evalOracle(q, r);
}

function hasRun(toks: string[], want: string[], prefix: boolean): boolean {
  for (let i = 0; i + want.length <= toks.length; i++) {
    let ok = true;
    for (let j = 0; j < want.length && ok; j++) {
      const t = toks[i + j];
      ok = prefix && j === want.length - 1 ? t.startsWith(want[j]) : t === want[j];
    }
    if (ok) return true;
  }
  return false;
}

function evalOracle(q: Query, r: TestRecord): boolean {
  switch (q.type) {
    case 'all':
      return true;
    case 'text': {
      const values = q.field === null ? Object.values(r.fields) : q.field in r.fields ? [r.fields[q.field]] : [];
      for (const v of values) {
        if (typeof v === 'number') {
          if (q.field !== null && q.number !== undefined && v === q.number) return true;
          continue;
        }
        if (hasRun(oracleTokens(String(v)), q.tokens, q.prefix)) return true;
      }
      return false;
    }
    case 'range': {
      const x = q.field === '@timestamp' ? r.ts : r.fields[q.field];
      if (typeof x !== 'number') return false;
      const aboveMin = q.minInclusive ? x >= q.min : x > q.min;
      const belowMax = q.maxInclusive ? x <= q.max : x < q.max;
      return aboveMin && belowMax;
    }
    case 'exists':
      return q.field === '@timestamp' || Object.prototype.hasOwnProperty.call(r.fields, q.field);
    case 'and':
      return q.clauses.every((c) => evalOracle(c, r));
    case 'or':
      return q.clauses.some((c) => evalOracle(c, r));
    case 'not':
      return !evalOracle(q.clause, r);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Temp dirs

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `strata-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Fault injection

interface FileState {
  /** Bytes of the file known to be on stable storage. */
  synced: number;
  handles: Set<AppendFile>;
}

export class CrashedError extends Error {
  constructor() {
    super('simulated crash: the process is gone');
    this.name = 'CrashedError';
  }
}

export interface CrashOptions {
  /** Where randomness comes from; without it, files are cut exactly to their fsynced size. */
  rng?: Rng;
  /** Probability of keeping a random prefix of the unsynced bytes (a torn write). */
  tornProbability?: number;
  /** Probability of adding random garbage bytes after that. */
  garbageProbability?: number;
}

/**
 * Wraps a FileSystem (the real one by default) and tracks, per file, how many bytes were last fsynced. `crash()`
 * models a power loss: it waits for writes already issued, then cuts every file to its fsynced size, optionally
 * leaving part of the unsynced bytes or random garbage. Every operation after the crash fails, as the process
 * would be gone. It also counts appends and fsyncs, and can fail a write part-way like a full disk.
 */
export class FaultyFileSystem implements FileSystem {
  crashed = false;
  appends = 0;
  syncs = 0;
  private files = new Map<string, FileState>();
  private inflight = new Set<Promise<unknown>>();
  private writeFault: { afterBytes: number; code: string } | null = null;

  constructor(private readonly base: FileSystem = realFileSystem) {}

  check(): void {
    if (this.crashed) throw new CrashedError();
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** The next append writes only its first `afterBytes` bytes, then fails with `code` (e.g. ENOSPC). */
  failNextAppend(afterBytes: number, code = 'ENOSPC'): void {
    this.writeFault = { afterBytes, code };
  }

  takeWriteFault(): { afterBytes: number; code: string } | null {
    const f = this.writeFault;
    this.writeFault = null;
    return f;
  }

  syncedSize(path: string): number | undefined {
    return this.files.get(path)?.synced;
  }

  async openAppend(path: string): Promise<AppendFile> {
    this.check();
    const real = await this.track(this.base.openAppend(path));
    let st = this.files.get(path);
    // An existing file's bytes are taken as durable: they were there before this "process" started.
    if (!st) this.files.set(path, (st = { synced: real.size, handles: new Set() }));
    st.handles.add(real);
    return new FaultyFile(this, st, real);
  }

  async truncate(path: string, length: number): Promise<void> {
    this.check();
    await this.track(this.base.truncate(path, length));
    this.check();
    // The real truncate fsyncs, so what is left is durable.
    const st = this.files.get(path);
    if (st) st.synced = length;
  }

  /** Simulated power loss; see the class comment. Returns how many bytes were cut and added per file. */
  async crash(opts: CrashOptions = {}): Promise<{ path: string; kept: number; cut: number; garbage: number }[]> {
    this.crashed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const report: { path: string; kept: number; cut: number; garbage: number }[] = [];
    for (const [path, st] of this.files) {
      for (const h of st.handles) await h.close().catch(() => {});
      st.handles.clear();
      if (!existsSync(path)) continue; // released by the log: unlinked, nothing to cut
      const disk = readFileSync(path);
      const synced = Math.min(st.synced, disk.length);
      let keep = disk.subarray(0, synced);
      const rng = opts.rng;
      if (rng && disk.length > synced && rng.chance(opts.tornProbability ?? 0.5)) {
        keep = disk.subarray(0, synced + rng.int(1, disk.length - synced));
      }
      let garbage = 0;
      if (rng && rng.chance(opts.garbageProbability ?? 0.3)) {
        garbage = rng.int(1, 64);
        keep = Buffer.concat([keep, rng.bytes(garbage)]);
      }
      writeFileSync(path, keep);
      report.push({ path, kept: keep.length - garbage, cut: disk.length - (keep.length - garbage), garbage });
    }
    return report;
  }
}

class FaultyFile implements AppendFile {
  constructor(private readonly fs: FaultyFileSystem, private readonly st: FileState, private readonly real: AppendFile) {}
  get path(): string {
    return this.real.path;
  }
  get size(): number {
    return this.real.size;
  }
  set size(v: number) {
    this.real.size = v;
  }
  async append(chunks: Buffer[]): Promise<void> {
    this.fs.check();
    this.fs.appends++;
    const fault = this.fs.takeWriteFault();
    if (fault) {
      // Like a real short write followed by an error: the first bytes reach the file, `size` is not advanced
      // (the real AppendFile only advances it once every byte is down), and the append throws.
      const all = Buffer.concat(chunks);
      const before = this.real.size;
      const n = Math.min(fault.afterBytes, all.length);
      if (n > 0) await this.fs.track(this.real.append([all.subarray(0, n)]));
      this.real.size = before;
      const e = new Error(`simulated ${fault.code} after ${n} of ${all.length} bytes`) as NodeJS.ErrnoException;
      e.code = fault.code;
      throw e;
    }
    await this.fs.track(this.real.append(chunks));
    this.fs.check();
  }
  async sync(): Promise<void> {
    this.fs.check();
    this.fs.syncs++;
    const size = this.real.size;
    await this.fs.track(this.real.sync());
    this.fs.check();
    this.st.synced = Math.max(this.st.synced, size);
  }
  async close(): Promise<void> {
    if (this.fs.crashed) return;
    this.st.handles.delete(this.real);
    await this.real.close();
  }
}
