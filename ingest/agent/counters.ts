import type { DropReason, ProcessorCounters } from './processors/event.ts';

/**
 * Why a record was not stored: a processor dropped it, the node refused it, a syslog datagram met full memory, or
 * a journal entry was longer than `max_entry_bytes`.
 */
export type DroppedReason = DropReason | 'rejected' | 'memory_full' | 'too_large';

/** The agent's own counts, read by `stats()` and served on `/metrics`. Plain numbers bumped in place. */
export interface AgentCounters extends ProcessorCounters {
  /** Lines read from files and stdin, and syslog messages received. */
  linesRead: number;
  /** Records made of them (fewer than lines when multiline joins them). */
  records: number;
  /** Records not stored, by why (`rejected` is the shipper's count, filled in when read). */
  dropped: Record<DroppedReason, number>;
  /** Input bytes acknowledged: files' and stdin's committed offsets moved, syslog message bytes. */
  bytesAcked: number;
  /** Bytes of multiline records cut at `max_bytes`. */
  multilineBytesCut: number;
  /** Heartbeats the node acknowledged, and those that failed (not answered, or not with a 2xx). */
  heartbeatsSent: number;
  heartbeatsFailed: number;
  /** journalctl runs that could not start or exited (journald inputs). */
  journalctlFailures: number;
}

export function newCounters(): AgentCounters {
  return {
    linesRead: 0,
    records: 0,
    processed: 0,
    parseErrors: { json: 0, logfmt: 0 },
    dropped: { drop_processor: 0, parse_error: 0, rejected: 0, memory_full: 0, too_large: 0 },
    bytesAcked: 0,
    multilineBytesCut: 0,
    heartbeatsSent: 0,
    heartbeatsFailed: 0,
    journalctlFailures: 0,
  };
}
