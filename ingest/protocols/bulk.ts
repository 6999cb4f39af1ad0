import { indexNameProblem } from '../../lib/config.ts';
import { type DecodedBatch, emptyBatch, preview, pushRawRecord, pushRecord, type RejectCode, rejectOversize, warn } from '../batch.ts';
import { decodeJsonLine } from './ndjson.ts';
import { RawLineReader } from './raw-line.ts';

/**
 * The Elasticsearch `_bulk` body: NDJSON pairs of an action line and a source line (none for `delete`). Decoding
 * keeps every item's place so that the answer can list one result per action, in request order, as clients that
 * retry only the failed items expect.
 */

export type BulkOp = 'index' | 'create' | 'update' | 'delete';
const OPS = new Set<string>(['index', 'create', 'update', 'delete']);

/** Metadata shippers send that changes nothing here (routing, versioning and mapping hints of Elasticsearch). */
const IGNORED_META = new Set([
  '_type', 'routing', 'require_alias', 'require_data_stream', 'if_seq_no', 'if_primary_term', 'version', 'version_type',
  'dynamic_templates', 'retry_on_conflict', 'op_type', 'list_executed_pipelines', '_source', 'refresh', 'timeout', 'wait_for_active_shards',
]);
/** Elasticsearch refuses longer ids. */
const MAX_ID_BYTES = 512;

export interface BulkItemError {
  status: number;
  /** The counter label of the refusal. */
  code: RejectCode;
  /** Elasticsearch's exception name, which clients and shippers match on. */
  type: string;
  reason: string;
}

export interface BulkItem {
  op: BulkOp;
  index: string | null;
  id: string | null;
  /** The pipeline named by the action or the request; null: none; undefined: the index's default. */
  pipeline: string | null | undefined;
}

export interface BulkGroup {
  index: string;
  pipeline: string | null | undefined;
  batch: DecodedBatch;
}

export interface DecodedBulk {
  /** One per action; item `i` has position `i + 1` in its group's batch. */
  items: BulkItem[];
  /** Items to store, grouped by index and pipeline. */
  groups: BulkGroup[];
  /** Items refused while decoding, by position. */
  errors: Map<number, BulkItemError>;
}

export interface BulkOptions {
  defaultIndex: string | null;
  /** `?pipeline=` of the request. */
  defaultPipeline: string | null | undefined;
  nowMs: number;
  maxRecordBytes: number;
  /**
   * Whether records bound for `index` through `pipeline` (as an item names it: undefined for the index's default)
   * must keep their parsed objects (see decodeLines); default yes. A record with an `_id` always keeps them.
   */
  keepFields?: (index: string, pipeline: string | null | undefined) => boolean;
}

export function decodeBulk(body: string | Buffer, o: BulkOptions): DecodedBulk {
  const out: DecodedBulk = { items: [], groups: [], errors: new Map() };
  const groups = new Map<string, BulkGroup>();
  const keep = new Map<BulkGroup, boolean>();
  const lines = typeof body === 'string' ? textLines(body) : byteLines(body);
  const reader = new RawLineReader(o.maxRecordBytes);
  // Shippers repeat one action line for every document of a request: it is parsed once.
  let last: { line: number; op: BulkOp; meta: Omit<BulkItem, 'op'>; problem: BulkItemError | null } | null = null;
  let i = 0;
  while (i < lines.length) {
    const k = i++;
    const pos = out.items.length + 1;
    let item: BulkItem;
    let problem: BulkItemError | null;
    if (last !== null && lines.same(k, last.line)) {
      item = { op: last.op, ...last.meta };
      problem = last.problem;
    } else {
      const line = lines.text(k);
      if (line.trim() === '') continue;
      const action = parseAction(line);
      if ('error' in action) {
        out.items.push({ op: 'index', index: null, id: null, pipeline: undefined });
        out.errors.set(pos, { status: 400, code: 'invalid_syntax', type: 'illegal_argument_exception', reason: `malformed action line ${i}: ${action.error}` });
        // A broken action line most likely still has its source after it; skip that, unless it reads as an action.
        if (i < lines.length && 'error' in parseAction(lines.text(i))) i++;
        continue;
      }
      item = { op: action.op, index: null, id: null, pipeline: o.defaultPipeline };
      problem = readMeta(action.meta, item, o);
      last = { line: k, op: item.op, meta: { index: item.index, id: item.id, pipeline: item.pipeline }, problem };
    }
    out.items.push(item);
    if (item.op === 'delete') {
      out.errors.set(pos, problem ?? { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: 'Strata indices are append-only: delete is not supported' });
      continue;
    }
    if (i >= lines.length) {
      out.errors.set(pos, { status: 400, code: 'invalid_syntax', type: 'illegal_argument_exception', reason: `the ${item.op} action on line ${i} has no source line after it` });
      continue;
    }
    const source = i++;
    if (problem) {
      out.errors.set(pos, problem);
      continue;
    }
    if (item.op === 'update') {
      out.errors.set(pos, { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: 'Strata indices are append-only: update is not supported; use index or create' });
      continue;
    }
    const key = `${item.index}\u0000${item.pipeline === undefined ? '\u0001' : item.pipeline ?? '\u0002'}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, (g = { index: item.index!, pipeline: item.pipeline, batch: emptyBatch() }));
      const kept = o.keepFields?.(g.index, g.pipeline) ?? true;
      keep.set(g, kept);
      // Records nobody needs parsed are kept as bytes of the body where they can be (protocols/raw-line.ts).
      if (!kept && lines.bytes !== null) g.batch.raw = { bytes: lines.bytes.body, start: [], end: [] };
    }
    if (item.id === null && g.batch.raw !== undefined && pushRaw(g.batch, pos, lines.bytes!, source, reader, o.nowMs)) continue;
    const before = g.batch.rejected.length;
    decodeSource(g.batch, pos, lines.text(source), item.id, o, keep.get(g)!);
    if (g.batch.rejected.length > before) {
      const r = g.batch.rejected.pop()!;
      out.errors.set(pos, { status: 400, code: r.code, type: r.code === 'oversize' ? 'illegal_argument_exception' : 'document_parsing_exception', reason: r.reason });
    }
  }
  out.groups = [...groups.values()].filter((g) => g.batch.ts.length > 0);
  return out;
}

/**
 * Source line `k` kept as the body's bytes, when RawLineReader takes it and the decoding path would store the same
 * text: that path trims the line, so one with whitespace after its closing brace is left to it. Returns whether
 * the record was pushed.
 */
function pushRaw(b: DecodedBatch, pos: number, at: LineBytes, k: number, reader: RawLineReader, nowMs: number): boolean {
  const end = at.end[k];
  if (at.body[end - 1] !== RBRACE) return false;
  const start = reader.read(at.body, at.start[k], end, nowMs);
  if (start < 0) return false;
  pushRawRecord(b, pos, reader.ts, start, end);
  return true;
}

const RBRACE = 125;

/** A body's lines as `String.split('\n')` gives them, each without a "\r" it ends with. */
interface Lines {
  length: number;
  text(k: number): string;
  /** Whether lines `a` and `b` are the same text. */
  same(a: number, b: number): boolean;
  /** Where the lines lie in a body given as bytes; null for a body given as text. */
  bytes: LineBytes | null;
}

/** Line k of `body` is `body[start[k], end[k])`. */
interface LineBytes {
  body: Buffer;
  start: number[];
  end: number[];
}

function textLines(body: string): Lines {
  const lines = body.split('\n');
  for (let k = 0; k < lines.length; k++) if (lines[k].endsWith('\r')) lines[k] = lines[k].slice(0, -1);
  return { length: lines.length, text: (k) => lines[k], same: (a, b) => lines[a] === lines[b], bytes: null };
}

/**
 * Where each line of the bytes lies; a line is decoded into a string only when read as text. A newline byte never
 * occurs inside a UTF-8 sequence, so the lines decoded one by one are the text of the body decoded whole.
 */
function byteLines(body: Buffer): Lines {
  const start: number[] = [];
  const end: number[] = [];
  for (let pos = 0; ; ) {
    const nl = body.indexOf(NEWLINE, pos);
    const stop = nl < 0 ? body.length : nl;
    start.push(pos);
    end.push(stop > pos && body[stop - 1] === CR ? stop - 1 : stop);
    if (nl < 0) break;
    pos = nl + 1;
  }
  return {
    length: start.length,
    text: (k) => body.toString('utf8', start[k], end[k]),
    same: (a, b) => {
      const n = end[a] - start[a];
      if (end[b] - start[b] !== n) return false;
      for (let j = 0; j < n; j++) if (body[start[a] + j] !== body[start[b] + j]) return false;
      return true;
    },
    bytes: { body, start, end },
  };
}

const NEWLINE = 10;
const CR = 13;

function parseAction(line: string): { op: BulkOp; meta: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { error: `invalid JSON (${(e as Error).message.slice(0, 120)})` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'expected an object like {"index":{}}' };
  const keys = Object.keys(v);
  if (keys.length !== 1 || !OPS.has(keys[0])) {
    return { error: `expected one of index, create, update, delete, got ${preview(keys.join(','), 60)}` };
  }
  const meta = (v as Record<string, unknown>)[keys[0]];
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return { error: `the ${keys[0]} action's metadata must be an object` };
  return { op: keys[0] as BulkOp, meta: meta as Record<string, unknown> };
}

function readMeta(meta: Record<string, unknown>, item: BulkItem, o: BulkOptions): BulkItemError | null {
  for (const [k, v] of Object.entries(meta)) {
    if (k === '_index') {
      if (typeof v !== 'string') return { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: '_index must be a string' };
      item.index = v;
    } else if (k === '_id') {
      if (v === null) continue;
      if (typeof v !== 'string' && typeof v !== 'number') return { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: '_id must be a string' };
      item.id = String(v);
    } else if (k === 'pipeline') {
      if (typeof v !== 'string') return { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: 'pipeline must be a string' };
      item.pipeline = v === '_none' ? null : v;
    } else if (!IGNORED_META.has(k)) {
      return { status: 400, code: 'unknown_field', type: 'illegal_argument_exception', reason: `action metadata has an unknown parameter [${preview(k, 60)}]` };
    }
  }
  item.index ??= o.defaultIndex;
  if (item.index === null) return { status: 400, code: 'invalid_field', type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index is missing;' };
  const bad = indexNameProblem(item.index);
  if (bad) return { status: 400, code: 'invalid_field', type: 'invalid_index_name_exception', reason: bad };
  if (item.id !== null && (item.id === '' || Buffer.byteLength(item.id) > MAX_ID_BYTES)) {
    return { status: 400, code: 'invalid_field', type: 'illegal_argument_exception', reason: `_id must be 1 to ${MAX_ID_BYTES} bytes long` };
  }
  return null;
}

/** One source line into the group's batch; a bad line lands in `rejected` (the caller turns it into an item error). */
function decodeSource(b: DecodedBatch, pos: number, text: string, id: string | null, o: BulkOptions, keepFields: boolean): void {
  if (rejectOversize(b, pos, text, o.maxRecordBytes)) return;
  const r = decodeJsonLine(text, o.nowMs);
  if (!r.ok) {
    b.rejected.push({ line: pos, code: r.code, reason: `the source: ${r.reason}` });
    return;
  }
  if (r.timestampProblem !== null) warn(b, pos, 'invalid_timestamp', r.timestampProblem);
  let json = r.json?.trim() ?? null;
  if (json !== null && json[0] !== '{') json = null;
  let fields = r.fields;
  if (id !== null) {
    // The client's id is stored first in the record, where hits read it back from.
    fields = Object.assign({ _id: id }, fields);
    json = json === null ? null : json === '{}' ? `{"_id":${JSON.stringify(id)}}` : `{"_id":${JSON.stringify(id)},${json.slice(1)}`;
  }
  // Ids are read from the fields (claims, conflicts): a record with one keeps them.
  pushRecord(b, pos, r.ts, keepFields || json === null || id !== null ? fields : null, json);
}

/**
 * Lists the items of a `_bulk` body line by line, keeping no source line: how an overloaded node answers each item
 * with 429 without holding the body in memory.
 */
export class BulkItemScanner {
  readonly items: { op: BulkOp; index: string | null; id: string | null }[] = [];
  private expectSource = false;
  constructor(private defaultIndex: string | null) {}

  line(text: string): void {
    if (this.expectSource) {
      this.expectSource = false;
      return;
    }
    if (text.trim() === '') return;
    const a = parseAction(text);
    if ('error' in a) {
      this.items.push({ op: 'index', index: this.defaultIndex, id: null });
      this.expectSource = true;
      return;
    }
    const index = typeof a.meta._index === 'string' ? a.meta._index : this.defaultIndex;
    const id = typeof a.meta._id === 'string' || typeof a.meta._id === 'number' ? String(a.meta._id) : null;
    this.items.push({ op: a.op, index, id });
    this.expectSource = a.op !== 'delete';
  }
}
