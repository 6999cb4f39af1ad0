import type { RejectCode } from '../../batch.ts';
import type { RecordMatcher } from '../../../indexer/index.ts';
import type { FieldValue, Fields } from '../../../lib/record.ts';
import type { OnFailure, ProcessorType } from '../schema.ts';
import { parseTime } from '../timestamp.ts';

/** Stages of the issue's chain that a pipeline runs (decode is the protocols' work, before it). */
export type Stage = 'parse' | 'enrich' | 'validate' | 'route';
export const STAGES: readonly Stage[] = ['parse', 'enrich', 'validate', 'route'];

/**
 * The one record a processor works on. The pipeline reuses a single Work for a whole batch, loading each record
 * into it in turn: processors take no per-record arguments and allocate nothing to report an outcome.
 */
export class Work {
  ts = 0;
  /** A processor that returns CHANGED may have replaced the object (see `without`). */
  fields: Fields = {};
  /** The request's ingest time, for formats without a year and for `auto` parsing. */
  nowMs = 0;
  /** Set by a processor that returns FAILED: what went wrong, for a person. */
  failure = '';
  /** The value it could not handle, if any (quoted and cut in the reason). */
  failValue: FieldValue | undefined = undefined;

  fail(failure: string, value?: FieldValue): number {
    this.failure = failure;
    this.failValue = value;
    return FAILED;
  }
}

// Results of Processor.apply.

/** The fields are as they were (the time may have changed: it is stored apart from the fields' JSON). */
export const UNCHANGED = 0;
/** The fields changed: the record's stored JSON must be written again. */
export const CHANGED = 1;
/** It failed, leaving the record as it was; `on_failure` decides. */
export const FAILED = 2;
/** drop_if matched. */
export const DROP = 3;

export interface Processor {
  readonly type: ProcessorType;
  readonly stage: Stage;
  /** Its index in the definition's processors. */
  readonly position: number;
  /** `if`: the processor runs only on records matching it. */
  readonly cond: RecordMatcher | null;
  readonly onFailure: OnFailure;
  /** The rejection code when it fails and `on_failure` is `reject`. */
  readonly failCode: RejectCode;
  apply(w: Work): number;
}

/**
 * A field's own value. A user may name a field `constructor` or `toString`: a plain lookup would find Object's
 * methods, and a field value is never an object or function.
 */
export function own(fields: Fields, name: string): FieldValue | undefined {
  const v = fields[name];
  return typeof v === 'object' || typeof v === 'function' ? undefined : v;
}

/**
 * A copy of the fields without `names`. Processors remove fields by copying rather than with `delete`: deleting any
 * key but the last one added turns a V8 object into a dictionary for the rest of its life, which slows every later
 * read of it (the validate stage's walk, the store's JSON.stringify). Measured on this machine, 200k records of ten
 * fields: rename by delete 3.8–8.7 µs a record, by copy 0.8–3.4 µs, and a walk over the result 1.5–3 µs against 0.5–0.7.
 */
export function without(fields: Fields, names: readonly string[]): Fields {
  const out: Fields = {};
  outer: for (const k in fields) {
    for (let i = 0; i < names.length; i++) if (k === names[i]) continue outer;
    out[k] = fields[k];
  }
  return out;
}

/** Epoch ms a Date can hold: outside it a time is not a time. */
const MAX_DATE_MS = 8.64e15;

/**
 * Stores one key a parser produced. Keys that are not fields (lib/record.ts) follow the record rules: `@timestamp`
 * becomes the record's time when it parses (under any target, since it names the event's time wherever the parsed
 * text put it), `_id` and `_index` at the root are ignored, and `__proto__` is never assigned.
 */
export function putParsed(w: Work, prefix: string, key: string, value: FieldValue): void {
  if (key === '@timestamp') {
    if (typeof value === 'boolean') return;
    const t = parseTime(value, 'auto', { nowMs: w.nowMs });
    if (validTime(t)) w.ts = Math.floor(t);
    return;
  }
  if (prefix === '') {
    if (key === '_id' || key === '_index' || key === '__proto__') return;
    w.fields[key] = value;
  } else {
    w.fields[prefix + '.' + key] = value;
  }
}

/** Whether a parsed time can be a record's time. */
export function validTime(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS;
}
