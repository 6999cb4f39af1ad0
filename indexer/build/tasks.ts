import type { SegmentFooter } from '../segment/layout.ts';

/**
 * Seal: records in the log's payload format (`ts \t json \n`), with their offsets, become one segment file. The
 * payload is the head's batches in order, as views of shared memory (read in place) or of buffers transferred.
 */
export interface SealTask {
  kind: 'seal';
  path: string;
  payload: Uint8Array[];
  seqs: ArrayBuffer;
  /** Index pairs of common tokens as bigram terms (segment/bigrams.ts). */
  bigrams: boolean;
  /** Index each field's words through its patterns when they fit (segment/patterns.ts). */
  patterns: boolean;
}

/** Merge: several segment files become one; the inputs stay until the caller swaps them out. */
export interface MergeTask {
  kind: 'merge';
  path: string;
  inputs: string[];
  /** Keep the inputs' bigram terms that stay complete; false drops them all. */
  bigrams: boolean;
  groupedMinDf: number;
}

export type BuildTask = SealTask | MergeTask;
export type BuildResult = SegmentFooter;

/** What a worker answers: the footer, and the CPU time its thread spent on the task (null where unknown). */
export interface WorkerResult {
  footer: BuildResult;
  cpuSeconds: number | null;
}
