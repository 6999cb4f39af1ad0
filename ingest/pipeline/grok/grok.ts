import { StrataError } from '../../../lib/errors.ts';
import { BASE_PATTERNS } from './base-patterns.ts';
import { GROK_LIBRARY } from './library.ts';

/**
 * Grok-style patterns: regular expressions with named, reusable parts.
 *
 *   %{NAME}              matches pattern NAME, captures nothing
 *   %{NAME:field}        captures the text as a string (dotted names allowed: `http.status`)
 *   %{NAME:field:int}    converts the text to a number (`:float` too); a value that does not convert stays a string
 *   (?<name>…)           a raw named group also captures, as a string
 *
 * Everything between references is a JavaScript regular expression, used as written: the pattern is anchored only
 * where its author anchors it. References expand at compile time into one RegExp, so a match costs one `exec`.
 */
export interface Grok {
  readonly pattern: string;
  /** Field names it can produce, in pattern order. */
  readonly fields: readonly string[];
  /** The captured fields (dotted names allowed, e.g. `http.status`), or null when the text does not match. */
  match(text: string): Record<string, string | number> | null;
}

/**
 * Texts longer than this never match. Patterns are written not to backtrack catastrophically, but a pattern from a
 * user may, and even a linear one should not hold the event loop over a megabyte line.
 */
export const GROK_MAX_TEXT_LENGTH = 64 * 1024;

type Conversion = 'string' | 'int' | 'float';

interface Capture {
  group: string;
  field: string;
  conversion: Conversion;
}

/** A reference being expanded: its pattern name and where it stands in the text that references it. */
interface Frame {
  name: string;
  at: number;
}

const REFERENCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD_NAME = /^[A-Za-z_@][A-Za-z0-9_@.-]*$/;
const MAX_EXPANSION_DEPTH = 64;

/** Compiles once; throws StrataError('invalid_config', …) naming the bad reference and its position. */
export function compileGrok(pattern: string, extra?: Record<string, string>): Grok {
  const compiler = new Compiler(extra);
  const source = compiler.expand(pattern, []);
  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch (e) {
    throw new StrataError('invalid_config', `grok pattern is not a valid regular expression: ${(e as Error).message}`, {
      pattern,
    });
  }
  return new CompiledGrok(pattern, regex, compiler.captures);
}

class CompiledGrok implements Grok {
  readonly pattern: string;
  readonly fields: readonly string[];
  readonly #regex: RegExp;
  readonly #groups: string[];
  readonly #names: string[];
  readonly #conversions: Conversion[];

  constructor(pattern: string, regex: RegExp, captures: Capture[]) {
    this.pattern = pattern;
    this.#regex = regex;
    this.#groups = captures.map((c) => c.group);
    this.#names = captures.map((c) => c.field);
    this.#conversions = captures.map((c) => c.conversion);
    this.fields = [...new Set(this.#names)];
  }

  match(text: string): Record<string, string | number> | null {
    if (text.length > GROK_MAX_TEXT_LENGTH) return null;
    const m = this.#regex.exec(text);
    if (m === null) return null;
    const out: Record<string, string | number> = {};
    const groups = m.groups;
    if (groups === undefined) return out;
    for (let i = 0; i < this.#groups.length; i++) {
      const v = groups[this.#groups[i]];
      // A group that did not take part (an untaken alternative) or took nothing carries no value; when one field
      // is captured in several places (alternatives), the first that took part wins.
      if (v === undefined || v === '') continue;
      const name = this.#names[i];
      if (Object.hasOwn(out, name)) continue;
      out[name] = convert(v, this.#conversions[i]);
    }
    return out;
  }
}

const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function convert(v: string, conversion: Conversion): string | number {
  if (conversion === 'int') {
    if (!INT_TEXT.test(v)) return v;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (conversion === 'float') {
    if (!FLOAT_TEXT.test(v)) return v;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}

class Compiler {
  readonly captures: Capture[] = [];
  readonly #extra: Record<string, string> | undefined;
  readonly #rawGroups = new Map<string, string>();

  constructor(extra: Record<string, string> | undefined) {
    this.#extra = extra;
  }

  #definition(name: string): string | undefined {
    // Own properties only: a pattern named `constructor` must not find Object.prototype's.
    if (this.#extra !== undefined && Object.hasOwn(this.#extra, name)) return this.#extra[name];
    if (Object.hasOwn(GROK_LIBRARY, name)) return GROK_LIBRARY[name];
    if (Object.hasOwn(BASE_PATTERNS, name)) return BASE_PATTERNS[name];
    return undefined;
  }

  /** `chain` holds the references being expanded, outermost first; empty for the user's own pattern. */
  expand(text: string, chain: Frame[]): string {
    if (chain.length > MAX_EXPANSION_DEPTH) {
      throw this.#error(`references nest deeper than ${MAX_EXPANSION_DEPTH}`, 0, chain);
    }
    let out = '';
    let i = 0;
    let inClass = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        // A backreference to a raw named group follows its renaming.
        const ref = !inClass && text[i + 1] === 'k' && text[i + 2] === '<' ? /^\\k<([A-Za-z_$][\w$]*)>/.exec(text.slice(i)) : null;
        const group = ref === null ? undefined : this.#rawGroups.get(ref[1]);
        if (ref !== null && group !== undefined) {
          out += '\\k<' + group + '>';
          i += ref[0].length;
          continue;
        }
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (inClass) {
        if (c === ']') inClass = false;
        out += c;
        i++;
        continue;
      }
      if (c === '[') {
        inClass = true;
        out += c;
        i++;
        continue;
      }
      if (c === '%' && text[i + 1] === '{') {
        const end = text.indexOf('}', i + 2);
        if (end < 0) throw this.#error('unterminated %{ (no closing })', i, chain);
        out += this.#reference(text.slice(i + 2, end), i, chain);
        i = end + 1;
        continue;
      }
      if (c === '(' && text[i + 1] === '?' && text[i + 2] === '<' && text[i + 3] !== '=' && text[i + 3] !== '!') {
        const end = text.indexOf('>', i + 3);
        const name = end < 0 ? '' : text.slice(i + 3, end);
        if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === '__proto__') throw this.#error(`invalid group name "${name}"`, i, chain);
        const group = this.#group(name, 'string');
        this.#rawGroups.set(name, group);
        out += '(?<' + group + '>';
        i = end + 1;
        continue;
      }
      out += c;
      i++;
    }
    return out;
  }

  #reference(body: string, at: number, chain: Frame[]): string {
    const parts = body.split(':');
    const [name, field, type] = parts;
    if (parts.length > 3 || !REFERENCE_NAME.test(name)) {
      throw this.#error(`invalid reference %{${body}}: expected %{NAME}, %{NAME:field} or %{NAME:field:int|float}`, at, chain);
    }
    // `__proto__` as a key would set the result's prototype instead of a field.
    if (field !== undefined && (!FIELD_NAME.test(field) || field === '__proto__')) {
      throw this.#error(`invalid field name "${field}" in %{${body}}: use letters, digits, _, @, - and dots`, at, chain);
    }
    if (type !== undefined && type !== 'int' && type !== 'float' && type !== 'string') {
      throw this.#error(`unknown conversion "${type}" in %{${body}}: use int or float`, at, chain);
    }
    const definition = this.#definition(name);
    if (definition === undefined) throw this.#error(`unknown pattern %{${name}}`, at, chain);
    if (chain.some((f) => f.name === name)) {
      const cycle = [...chain.map((f) => f.name), name].join(' → ');
      throw this.#error(`pattern ${name} refers to itself (${cycle})`, at, chain);
    }
    const inner = this.expand(definition, [...chain, { name, at }]);
    if (field === undefined) return '(?:' + inner + ')';
    return '(?<' + this.#group(field, (type ?? 'string') as Conversion) + '>' + inner + ')';
  }

  /** JS group names cannot hold dots, and one field may be captured twice, so every capture gets its own group. */
  #group(field: string, conversion: Conversion): string {
    const group = `g${this.captures.length}_`;
    this.captures.push({ group, field, conversion });
    return group;
  }

  /** Names the spot in the user's pattern, and inside which named pattern when the fault is in one. */
  #error(what: string, at: number, chain: Frame[]): StrataError {
    let where: string;
    if (chain.length === 0) where = `at position ${at}`;
    else {
      const inner = chain[chain.length - 1].name;
      where = `at position ${at} of pattern ${inner}, referenced at position ${chain[0].at} (through ${chain.map((f) => f.name).join(' → ')})`;
    }
    return new StrataError('invalid_config', `grok pattern: ${what} ${where}`, {
      position: chain.length === 0 ? at : chain[0].at,
      patterns: chain.map((f) => f.name),
    });
  }
}
