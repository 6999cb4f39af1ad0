import { normalizeObject, parseTimestamp } from '../../../lib/record.ts';
import { type AgentEvent, type ProcessorCounters, setField, type Step } from './event.ts';
import { parseLogfmt } from './logfmt.ts';
import type { ParseProcessorConfig } from './schema.ts';

/**
 * `json` and `logfmt`: a field's text parsed into fields. Into the record itself (`target: ""`): the parsed
 * `message` replaces the record's, a parsed `@timestamp` that reads as a time becomes the record's time (one that
 * does not is left out and the read time kept), and the other keys are added over any of the same name. Under a
 * target, every key goes under `<target>.` (the time still becomes the record's: it is the event's time, wherever
 * its fields go). A record whose field is missing or not text is left alone.
 */

function put(ev: AgentEvent, target: string, key: string, value: string | number | boolean): void {
  setField(ev.fields, target === '' ? key : `${target}.${key}`, value);
}

function takeTime(ev: AgentEvent, v: unknown): void {
  const ms = parseTimestamp(v);
  if (!Number.isNaN(ms)) ev.ts = new Date(ms).toISOString();
}

export function jsonStep(c: ParseProcessorConfig, counters: ProcessorCounters): Step {
  return (ev) => {
    const text = ev.fields[c.field];
    if (typeof text !== 'string') return null;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      counters.parseErrors.json++;
      return c.on_error === 'drop' ? 'parse_error' : null;
    }
    const obj = v as Record<string, unknown>;
    // The node's own flattening: nested objects to dotted keys, arrays to their JSON text, nulls left out.
    const { fields } = normalizeObject(obj, 0);
    for (const k in fields) put(ev, c.target, k, fields[k]);
    if (Object.hasOwn(obj, '@timestamp')) takeTime(ev, obj['@timestamp']);
    return null;
  };
}

export function logfmtStep(c: ParseProcessorConfig, counters: ProcessorCounters): Step {
  const pairs: Array<[string, string | true]> = [];
  return (ev) => {
    const text = ev.fields[c.field];
    if (typeof text !== 'string') return null;
    pairs.length = 0;
    if (parseLogfmt(text, pairs) !== null) {
      counters.parseErrors.logfmt++;
      return c.on_error === 'drop' ? 'parse_error' : null;
    }
    for (const [k, v] of pairs) {
      if (k === '@timestamp') takeTime(ev, v);
      else if (k !== '_id' && k !== '_index') put(ev, c.target, k, v);
    }
    return null;
  };
}
