import type { Fields } from '../../../lib/record.ts';
import type { AgentEvent, DropReason, ProcessorCounters, Step } from './event.ts';
import { jsonStep, logfmtStep } from './parse.ts';
import type { ProcessorConfig } from './schema.ts';

/**
 * A `processors:` list compiled into steps run in order on each record, on the host, before batching. Patterns
 * are compiled once here. Processors run on the whole field text: unlike the multiline start pattern, a `drop` or
 * `redact` pattern is not cut to the first 4 KiB, since a secret past that point must still be redacted; a
 * pattern with nested quantifiers (`(a+)+`) can then take long on a long line, so keep patterns simple.
 */
export class Chain {
  constructor(
    private readonly steps: Step[],
    private readonly counters: ProcessorCounters,
  ) {}

  /** Answers null to keep the record (changed in place), or why it is dropped. */
  run(ev: AgentEvent): DropReason | null {
    this.counters.processed++;
    for (const step of this.steps) {
      const why = step(ev);
      if (why !== null) return why;
    }
    return null;
  }
}

/** null for an empty list: records of that input then take the path that never makes an object per line. */
export function compileChain(list: ProcessorConfig[], counters: ProcessorCounters): Chain | null {
  if (list.length === 0) return null;
  return new Chain(list.map((p) => compileStep(p, counters)), counters);
}

function compileStep(p: ProcessorConfig, counters: ProcessorCounters): Step {
  if (p.json) return jsonStep(p.json, counters);
  if (p.logfmt) return logfmtStep(p.logfmt, counters);
  if (p.add_fields) return addFieldsStep(p.add_fields.fields, p.add_fields.tags);
  if (p.drop) {
    const { field } = p.drop;
    const re = new RegExp(p.drop.pattern);
    return (ev) => {
      const v = ev.fields[field];
      return v !== undefined && re.test(String(v)) ? 'drop_processor' : null;
    };
  }
  if (p.redact) {
    const { field, replacement } = p.redact;
    const re = new RegExp(p.redact.pattern, 'g');
    return (ev) => {
      const v = ev.fields[field];
      // JavaScript's replacement syntax: `$1` keeps a group (`(password=)\S+` → `$1[REDACTED]`), `$$` is a `$`.
      if (typeof v === 'string') ev.fields[field] = v.replace(re, replacement);
      return null;
    };
  }
  throw new Error('a processor without a name passed config validation');
}

function addFieldsStep(fields: Fields, tags: string[]): Step {
  const entries = Object.entries(fields).filter(([k]) => k !== '__proto__');
  return (ev) => {
    for (const [k, v] of entries) ev.fields[k] = v;
    if (tags.length > 0) ev.fields.tags = JSON.stringify(mergeTags(ev.fields.tags, tags));
    return null;
  };
}

/** Tags already on the record (a JSON array text, as the node keeps arrays, or one plain text) and the new ones. */
function mergeTags(had: Fields[string] | undefined, add: string[]): unknown[] {
  let out: unknown[] = [];
  if (typeof had === 'string') {
    try {
      const v: unknown = JSON.parse(had);
      out = Array.isArray(v) ? v : [had];
    } catch {
      out = [had];
    }
  } else if (had !== undefined) out = [had];
  for (const t of add) if (!out.includes(t)) out.push(t);
  return out;
}
