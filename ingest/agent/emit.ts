import type { BatchBuilder, Span, SpanOwner } from './batch.ts';
import type { AgentCounters } from './counters.ts';
import type { Chain } from './processors/compile.ts';
import type { AgentEvent, DropReason } from './processors/event.ts';

/**
 * Where records leave their input for a batch. A line of an input without processors is copied from its bytes
 * into the batch (the fast path: no string, no object); with processors, it becomes an event, runs through them,
 * and is written from its fields. A dropped record is still handled: its input may commit past it.
 */

/** What records come from: a file, stdin, a syslog listener. */
export interface Source extends SpanOwner {
  /** Whether ids naming this source may leave (a file: once the registry on disk names its key). */
  persisted: boolean;
  /** Moves the acknowledged position over the runs acknowledged in order; answers the input bytes moved over. */
  advance(): number;
}

/** An input's processors, and the fields the agent writes itself on its records. */
export interface RecordPipeline {
  chain: Chain | null;
  /**
   * Keys in the source's constant tail (`host.name`, `log.file.path`, the configured `fields`…): a processor's
   * field of the same name is left out, since the agent's own value follows it in the record.
   */
  fixedKeys: ReadonlySet<string>;
}

/** Keys a record may not carry among its fields: `@timestamp` is written apart, `_id`/`_index` describe hits. */
const NEVER = new Set(['@timestamp', '_id', '_index']);

export class Emitter {
  constructor(
    private readonly builder: BatchBuilder,
    readonly counters: AgentCounters,
    /** A source's acknowledged position may have moved (a dropped record commits at once if nothing is before it). */
    private readonly advanced: (s: Source) => void,
  ) {}

  /**
   * One record from bytes: `buf[start, stop)` is its message, `offset` its id's offset, `end` where its source may
   * commit once it is acknowledged, `ts` its time (ISO text, 24 bytes). Answers the bytes it added to the batch.
   */
  bytes(s: Source, p: RecordPipeline, buf: Buffer, start: number, stop: number, offset: number, end: number, ts: Buffer): number {
    this.counters.records++;
    if (p.chain === null) return this.builder.append(s, buf, start, stop, offset, end, ts);
    const ev: AgentEvent = { ts: ts.toString('latin1', 0, 24), fields: { message: buf.toString('utf8', start, stop) } };
    return this.processed(s, p, ev, offset, end);
  }

  /** One record from fields (a syslog message). */
  event(s: Source, p: RecordPipeline, ev: AgentEvent, offset: number, end: number): number {
    this.counters.records++;
    if (p.chain === null) return this.write(s, p, ev, offset, end);
    return this.processed(s, p, ev, offset, end);
  }

  private processed(s: Source, p: RecordPipeline, ev: AgentEvent, offset: number, end: number): number {
    const why = p.chain!.run(ev);
    if (why !== null) {
      this.dropped(s, end, why);
      return 0;
    }
    return this.write(s, p, ev, offset, end);
  }

  private write(s: Source, p: RecordPipeline, ev: AgentEvent, offset: number, end: number): number {
    let head = `{"@timestamp":${JSON.stringify(ev.ts)}`;
    const fields = ev.fields;
    for (const k in fields) {
      if (NEVER.has(k) || p.fixedKeys.has(k)) continue;
      head += `,${JSON.stringify(k)}:${JSON.stringify(fields[k])}`;
    }
    return this.builder.appendSource(s, head, offset, end);
  }

  /**
   * A record not shipped is handled all the same: its source may commit past it once everything before it is
   * acknowledged. So its end joins the source's last run still waiting (acknowledged with it), or, with none
   * waiting, is committed now.
   */
  private dropped(s: Source, end: number, why: DropReason): void {
    this.counters.dropped[why]++;
    const last = s.pending.length > 0 ? s.pending[s.pending.length - 1] : null;
    if (last !== null) {
      last.end = end;
      return;
    }
    const span: Span = { owner: s, end, acked: true };
    s.pending.push(span);
    this.advanced(s);
  }
}
