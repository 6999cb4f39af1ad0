import type { RejectCode } from '../../batch.ts';
import type { RecordMatcher } from '../../../indexer/index.ts';
import type { FieldValue } from '../../../lib/record.ts';
import type { OnFailure, ProcessorOptions } from '../schema.ts';
import { CHANGED, DROP, type Processor, type Stage, UNCHANGED, type Work, own, without } from './processor.ts';
import { parseTemplate } from './template.ts';

/**
 * The enrich stage: processors that reshape fields. Those that cannot fail (remove, redact, lowercase, uppercase,
 * drop_if) take no `on_failure`; their onFailure is never consulted.
 */

abstract class EnrichProcessor {
  readonly stage: Stage = 'enrich';
  readonly failCode: RejectCode = 'pipeline_failed';
  readonly onFailure: OnFailure;
  constructor(
    readonly position: number,
    readonly cond: RecordMatcher | null,
    onFailure: OnFailure = 'keep',
  ) {
    this.onFailure = onFailure;
  }
}

export class RenameProcessor extends EnrichProcessor implements Processor {
  readonly type = 'rename';
  private readonly from: string;
  private readonly to: string;
  private readonly gone: readonly string[];
  constructor(position: number, o: ProcessorOptions<'rename'>, cond: RecordMatcher | null) {
    super(position, cond, o.on_failure);
    this.from = o.field;
    this.to = o.to;
    this.gone = [o.field, o.to];
  }

  apply(w: Work): number {
    const v = own(w.fields, this.from);
    if (v === undefined) return w.fail(`field "${this.from}" is missing`);
    const f = without(w.fields, this.gone);
    f[this.to] = v;
    w.fields = f;
    return CHANGED;
  }
}

export class RemoveProcessor extends EnrichProcessor implements Processor {
  readonly type = 'remove';
  private readonly names: string[];
  constructor(position: number, o: ProcessorOptions<'remove'>, cond: RecordMatcher | null) {
    super(position, cond);
    this.names = o.fields;
  }

  apply(w: Work): number {
    for (let i = 0; i < this.names.length; i++) {
      if (own(w.fields, this.names[i]) === undefined) continue;
      w.fields = without(w.fields, this.names);
      return CHANGED;
    }
    return UNCHANGED;
  }
}

export class SetProcessor extends EnrichProcessor implements Processor {
  readonly type = 'set';
  private readonly field: string;
  private readonly override: boolean;
  /** A value without references, used as it is. */
  private readonly constant: FieldValue | undefined;
  private readonly literals: readonly string[] = [];
  private readonly refs: readonly string[] = [];
  constructor(position: number, o: ProcessorOptions<'set'>, cond: RecordMatcher | null) {
    super(position, cond, o.on_failure);
    this.field = o.field;
    this.override = o.override;
    const t = typeof o.value === 'string' ? parseTemplate(o.value) : null;
    if (t === null || t.refs.length === 0) {
      // JSON has no negative zero: a record stores -0 as 0, so the value in memory is 0 too.
      this.constant = t === null ? (o.value === 0 ? 0 : o.value) : t.literals[0];
    } else {
      this.constant = undefined;
      this.literals = t.literals;
      this.refs = t.refs;
    }
  }

  apply(w: Work): number {
    const f = w.fields;
    const old = own(f, this.field);
    if (!this.override && old !== undefined) return UNCHANGED;
    let v = this.constant;
    if (v === undefined) {
      // A template that is one reference copies the value with its type, so `{{status}}` stays a number.
      if (this.refs.length === 1 && this.literals[0] === '' && this.literals[1] === '') {
        v = this.lookup(w, this.refs[0]);
        if (v === undefined) return w.fail(`value references field "${this.refs[0]}", which is missing`);
      } else {
        let s = this.literals[0];
        for (let i = 0; i < this.refs.length; i++) {
          const r = this.lookup(w, this.refs[i]);
          if (r === undefined) return w.fail(`value references field "${this.refs[i]}", which is missing`);
          s += String(r) + this.literals[i + 1];
        }
        v = s;
      }
    }
    if (old === v) return UNCHANGED;
    f[this.field] = v;
    return CHANGED;
  }

  private lookup(w: Work, name: string): FieldValue | undefined {
    return name === '@timestamp' ? new Date(w.ts).toISOString() : own(w.fields, name);
  }
}

export class DropIfProcessor extends EnrichProcessor implements Processor {
  readonly type = 'drop_if';
  constructor(
    position: number,
    private readonly query: RecordMatcher,
    cond: RecordMatcher | null,
  ) {
    super(position, cond);
  }

  apply(w: Work): number {
    return this.query(w.ts, w.fields) ? DROP : UNCHANGED;
  }
}

export class RedactProcessor extends EnrichProcessor implements Processor {
  readonly type = 'redact';
  private readonly names: string[];
  private readonly re: RegExp;
  /** Built once; keeps empty matches (a pattern like `\b` or `(?=x)`) from inserting masks between characters. */
  private readonly replacer: (m: string) => string;
  constructor(position: number, o: ProcessorOptions<'redact'>, cond: RecordMatcher | null) {
    super(position, cond);
    this.names = o.fields;
    this.re = new RegExp(o.pattern, 'g');
    const mask = o.mask;
    this.replacer = (m) => (m.length === 0 ? m : mask);
  }

  apply(w: Work): number {
    let r = UNCHANGED;
    for (let i = 0; i < this.names.length; i++) {
      const v = own(w.fields, this.names[i]);
      if (typeof v !== 'string') continue;
      const s = v.replace(this.re, this.replacer);
      if (s === v) continue;
      w.fields[this.names[i]] = s;
      r = CHANGED;
    }
    return r;
  }
}

export class CaseProcessor extends EnrichProcessor implements Processor {
  private readonly names: string[];
  private readonly upper: boolean;
  constructor(
    readonly type: 'lowercase' | 'uppercase',
    position: number,
    o: ProcessorOptions<'lowercase'>,
    cond: RecordMatcher | null,
  ) {
    super(position, cond);
    this.names = o.fields;
    this.upper = type === 'uppercase';
  }

  apply(w: Work): number {
    let r = UNCHANGED;
    for (let i = 0; i < this.names.length; i++) {
      const v = own(w.fields, this.names[i]);
      if (typeof v !== 'string') continue;
      const s = this.upper ? v.toUpperCase() : v.toLowerCase();
      if (s === v) continue;
      w.fields[this.names[i]] = s;
      r = CHANGED;
    }
    return r;
  }
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS = new Map<string, boolean>([
  ['true', true], ['yes', true], ['1', true],
  ['false', false], ['no', false], ['0', false],
]);

export class ConvertProcessor extends EnrichProcessor implements Processor {
  readonly type = 'convert';
  override readonly failCode: RejectCode = 'invalid_field';
  private readonly field: string;
  private readonly to: ProcessorOptions<'convert'>['type'];
  constructor(position: number, o: ProcessorOptions<'convert'>, cond: RecordMatcher | null) {
    super(position, cond, o.on_failure);
    this.field = o.field;
    this.to = o.type;
  }

  apply(w: Work): number {
    const v = own(w.fields, this.field);
    if (v === undefined) return w.fail(`field "${this.field}" is missing`);
    const c = convert(v, this.to);
    if (c === undefined) return w.fail(`field "${this.field}" does not convert to ${this.to === 'integer' ? 'an' : 'a'} ${this.to}`, v);
    if (c === v) return UNCHANGED;
    w.fields[this.field] = c;
    return CHANGED;
  }
}

/** The converted value, or undefined when it does not convert. */
export function convert(v: FieldValue, to: 'integer' | 'float' | 'string' | 'boolean'): FieldValue | undefined {
  switch (to) {
    case 'string':
      return typeof v === 'string' ? v : String(v);
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
      return BOOLEANS.get(v.trim().toLowerCase());
    case 'integer': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
      const s = v.trim();
      if (!INTEGER.test(s)) return undefined;
      const n = Number(s);
      return Number.isSafeInteger(n) ? n + 0 : undefined; // + 0 turns "-0" into 0: JSON has no negative zero
    }
    case 'float': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number') return v;
      const s = v.trim();
      if (!FLOAT.test(s)) return undefined;
      const n = Number(s);
      return Number.isFinite(n) ? n + 0 : undefined;
    }
  }
}
