import type { Fields } from '../../../lib/record.ts';

/**
 * A record on its way through the processors: its time as the ISO text it is sent with, and its fields (flat
 * dotted keys, as lib/record.ts keeps them). Only inputs with processors (and syslog, whose messages are parsed
 * into fields) make one: a plain line goes from the file's bytes to the batch without becoming an object.
 */
export interface AgentEvent {
  /** `@timestamp`: ISO 8601 with milliseconds. */
  ts: string;
  fields: Fields;
}

/** Why a processor dropped a record (a label of `strata_agent_records_dropped_total`). */
export type DropReason = 'drop_processor' | 'parse_error';

/** One processor: changes the event in place; answers null to keep it, or why it is dropped. */
export type Step = (ev: AgentEvent) => DropReason | null;

/** What processors count, for /metrics. */
export interface ProcessorCounters {
  /** Records that went through a processor chain. */
  processed: number;
  /** Texts a `json` / `logfmt` processor could not parse (kept or dropped, as its `on_error` says). */
  parseErrors: { json: number; logfmt: number };
}

/** Sets a field, unless its key would set an object's prototype rather than a field. */
export function setField(fields: Fields, key: string, value: Fields[string]): void {
  if (key !== '__proto__') fields[key] = value;
}
