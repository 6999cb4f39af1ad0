import type { RejectCode } from '../../batch.ts';
import type { RecordMatcher } from '../../../indexer/index.ts';
import type { FieldValue } from '../../../lib/record.ts';
import { compileGrok, type Grok } from '../grok/grok.ts';
import { type PairValue, PairParser } from '../parsers.ts';
import type { OnFailure, ProcessorOptions, ProcessorType } from '../schema.ts';
import { parseTime } from '../timestamp.ts';
import { CHANGED, FAILED, type Processor, type Stage, UNCHANGED, type Work, own, putParsed, validTime, without } from './processor.ts';

/**
 * The parse stage: processors that read a text field and add what they find. Each parses completely before it
 * writes anything, so a failure leaves the record exactly as it was for `on_failure` to decide.
 */

abstract class ParseProcessor implements Processor {
  readonly stage: Stage = 'parse';
  readonly failCode: RejectCode = 'pipeline_failed';
  readonly cond: RecordMatcher | null;
  readonly onFailure: OnFailure;
  abstract readonly type: ProcessorType;
  constructor(
    readonly position: number,
    opts: { on_failure: OnFailure },
    cond: RecordMatcher | null,
    /** The field holding the text. */
    protected readonly field: string,
  ) {
    this.cond = cond;
    this.onFailure = opts.on_failure;
  }
  abstract apply(w: Work): number;

  /** The field's text, or undefined after recording the failure. */
  protected text(w: Work): string | undefined {
    const v = own(w.fields, this.field);
    if (typeof v === 'string') return v;
    w.fail(v === undefined ? `field "${this.field}" is missing` : `field "${this.field}" is not a string`, v);
    return undefined;
  }
}

/** Nesting deeper than this is kept as JSON text, as lib/record.ts does. */
const MAX_DEPTH = 32;

export class JsonProcessor extends ParseProcessor {
  readonly type = 'json';
  override readonly failCode: RejectCode = 'invalid_json';
  private readonly target: string;
  constructor(position: number, o: ProcessorOptions<'json'>, cond: RecordMatcher | null) {
    super(position, o, cond, o.field);
    this.target = o.target;
  }

  apply(w: Work): number {
    const text = this.text(w);
    if (text === undefined) return FAILED;
    // Most non-JSON lines are caught here, without the cost of a thrown SyntaxError.
    if (firstNonBlank(text) !== 123 /* { */) return w.fail(`field "${this.field}" is not a JSON object`, text);
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return w.fail(`field "${this.field}" is not JSON (${(e as Error).message.slice(0, 120)})`, text);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return w.fail(`field "${this.field}" is not a JSON object`, text);
    let changed = false;
    const o = obj as Record<string, unknown>;
    for (const key in o) {
      const v = o[key];
      if (key === '@timestamp') {
        if (typeof v === 'string' || typeof v === 'number') putParsed(w, this.target, key, v);
        continue;
      }
      if (key === '__proto__' || (this.target === '' && (key === '_id' || key === '_index'))) continue;
      if (putJson(w, this.target === '' ? key : this.target + '.' + key, v, 0)) changed = true;
    }
    return changed ? CHANGED : UNCHANGED;
  }
}

function firstNonBlank(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c;
  }
  return -1;
}

/**
 * The record rules of lib/record.ts applied under a name: nested objects flattened to dotted keys, arrays kept as
 * their JSON text, nulls dropped. Written here rather than through normalizeObject so that members go straight
 * into the record under their prefix, with no intermediate object per line.
 */
function putJson(w: Work, name: string, v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      w.fields[name] = v;
      return true;
    case 'number':
      if (!Number.isFinite(v)) return false;
      w.fields[name] = v;
      return true;
    case 'object': {
      if (v === null) return false;
      if (Array.isArray(v) || depth >= MAX_DEPTH) {
        w.fields[name] = JSON.stringify(v);
        return true;
      }
      let any = false;
      const o = v as Record<string, unknown>;
      for (const k in o) if (k !== '__proto__' && putJson(w, name + '.' + k, o[k], depth + 1)) any = true;
      return any;
    }
    default:
      return false;
  }
}

/** logfmt and key=value: the same pairs with different separators (parsers.ts). */
export class PairsProcessor extends ParseProcessor {
  private readonly target: string;
  private readonly parser: PairParser;
  // Reused for every record: the parser fills them, and they are copied into the record only on success.
  private readonly keys: string[] = [];
  private readonly values: PairValue[] = [];
  constructor(
    readonly type: 'logfmt' | 'kv',
    position: number,
    o: ProcessorOptions<'logfmt'> | ProcessorOptions<'kv'>,
    cond: RecordMatcher | null,
  ) {
    super(position, o, cond, o.field);
    this.target = o.target;
    this.parser = 'field_split' in o ? new PairParser(o.field_split, o.value_split) : new PairParser(null, '=');
  }

  apply(w: Work): number {
    const text = this.text(w);
    if (text === undefined) return FAILED;
    const err = this.parser.parse(text, this.keys, this.values);
    if (err !== null) return w.fail(`field "${this.field}": ${err}`, text);
    for (let i = 0; i < this.keys.length; i++) putParsed(w, this.target, this.keys[i], this.values[i]);
    return CHANGED;
  }
}

export class GrokProcessor extends ParseProcessor {
  readonly type = 'grok';
  private readonly groks: Grok[];
  constructor(position: number, o: ProcessorOptions<'grok'>, cond: RecordMatcher | null) {
    super(position, o, cond, o.field);
    this.groks = o.patterns.map((p) => compileGrok(p, o.pattern_definitions));
  }

  apply(w: Work): number {
    const text = this.text(w);
    if (text === undefined) return FAILED;
    for (let g = 0; g < this.groks.length; g++) {
      const m = this.groks[g].match(text);
      if (m === null) continue;
      for (const k in m) {
        const v = m[k];
        if (v !== undefined) putParsed(w, '', k, v);
      }
      return CHANGED;
    }
    const what = this.groks.length === 1 ? 'does not match the pattern' : `matches none of the ${this.groks.length} patterns`;
    return w.fail(`field "${this.field}" ${what}`, text);
  }
}

export class TimestampProcessor extends ParseProcessor {
  readonly type = 'timestamp';
  override readonly failCode: RejectCode = 'invalid_timestamp';
  private readonly formats: string[];
  private readonly remove: boolean;
  private readonly gone: readonly string[];
  // One options object for every call; only nowMs changes between records.
  private readonly opts: { timezone?: string; nowMs: number };
  constructor(position: number, o: ProcessorOptions<'timestamp'>, cond: RecordMatcher | null) {
    super(position, o, cond, o.field);
    this.formats = o.formats;
    this.remove = o.remove;
    this.gone = [o.field];
    this.opts = o.timezone === undefined ? { nowMs: 0 } : { timezone: o.timezone, nowMs: 0 };
  }

  apply(w: Work): number {
    const v: FieldValue | undefined = own(w.fields, this.field);
    if (v === undefined) return w.fail(`field "${this.field}" is missing`);
    if (typeof v === 'boolean') return w.fail(`field "${this.field}" is a boolean, not a time`, v);
    this.opts.nowMs = w.nowMs;
    for (let f = 0; f < this.formats.length; f++) {
      const t = parseTime(v, this.formats[f], this.opts);
      if (!validTime(t)) continue;
      w.ts = Math.floor(t);
      if (!this.remove) return UNCHANGED;
      w.fields = without(w.fields, this.gone);
      return CHANGED;
    }
    return w.fail(`field "${this.field}" is not a time in the format${this.formats.length > 1 ? 's' : ''} ${this.formats.join(', ')}`, v);
  }
}
