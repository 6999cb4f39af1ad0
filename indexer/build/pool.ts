import { Piscina } from 'piscina';
import { GROUPED_MIN_DF } from '../segment/grouped-postings.ts';
import type { BuildResult, MergeTask, SealTask, WorkerResult } from './tasks.ts';

const TSX_LOADER = import.meta.resolve('tsx');

/**
 * How long a thread may sit idle before it exits. Seals come at least every few seconds while ingest flows (the
 * head's age limit), so their thread outlives short pauses; merges come in bursts (a tier filling up, a flush).
 */
export const DEFAULT_IDLE_MS = { seal: 30_000, merge: 10_000 };

/**
 * The threads that build segments off the event loop. Seals and merges get pools of their own: a merge of millions
 * of docs runs for tens of seconds, and a seal queued behind it would let the head fill up until ingest answers 429
 * (measured: a 5M-line ingest stalled ~30 s at the first large merge with one shared thread). Workers load
 * TypeScript through tsx, as the main thread does; queues are bounded so a flood of seals waits instead of piling
 * up memory.
 *
 * An idle thread exits (none is kept waiting): V8 collects a worker's garbage only while it runs, so a thread left
 * idle after a 4M-doc merge held on to that merge's buffers. Measured after ingesting the 5M-line bench corpus and
 * merging it: 2.30 GiB resident with one thread of each pool kept, 1.84 GiB once they had exited. Starting a thread
 * again costs about 0.75 s (tsx loading the worker's modules), paid only after a pause longer than `idleMs`.
 */
export class BuildPool {
  private sealPool: Piscina;
  private mergePool: Piscina;
  private cpu = { seal: 0, merge: 0 };
  /**
   * `groupedMinDf`: merged segments group a patterned field's terms in at least this many docs by pattern
   * (segment/grouped-postings.ts; seals group none); tests lower it to exercise that on little data.
   */
  constructor(sealThreads: number, mergeThreads = 1, idleMs: { seal: number; merge: number } = DEFAULT_IDLE_MS, private readonly groupedMinDf = GROUPED_MIN_DF) {
    const make = (threads: number, idleTimeout: number) =>
      new Piscina({
        filename: new URL('./worker.ts', import.meta.url).href,
        minThreads: 0,
        maxThreads: Math.max(1, threads),
        maxQueue: 1024,
        // Resolved here, not by name: a bare `tsx` resolves from the working directory, which need not be ours.
        execArgv: ['--import', TSX_LOADER],
        idleTimeout,
      });
    this.sealPool = make(sealThreads, idleMs.seal);
    this.mergePool = make(mergeThreads, idleMs.merge);
  }
  /** Threads alive in each pool: none once both have been idle longer than their `idleMs`. */
  get threads(): { seal: number; merge: number } {
    return { seal: this.sealPool.threads.length, merge: this.mergePool.threads.length };
  }
  /**
   * CPU seconds the threads spent on finished seals and merges (0 where the system does not say: see
   * lib/thread-cpu.ts). A task still running is counted when it ends.
   */
  get cpuSeconds(): { seal: number; merge: number } {
    return { ...this.cpu };
  }
  /**
   * Seals the records of `payload`: the head's batches in order, as the log stores them (`ts \t fields JSON \n` per
   * record). Batches in shared memory (the shard's PayloadArena) are handed to the worker as they are, no byte
   * copied: the caller must not change them until the seal settles. Any others are copied once, into a buffer that
   * is transferred, not cloned. On this machine a first write to fresh memory costs about 12 µs per 4 KiB page
   * (2.9 ns a byte, against 0.1 for memory already touched), so each such copy costs the main thread about 2.9 s
   * per GB sealed.
   */
  seal(path: string, payload: readonly Uint8Array[], seqs: Float64Array, bigrams = true, patterns = true): Promise<BuildResult> {
    const parts: Uint8Array[] = [];
    const transfer: ArrayBuffer[] = [];
    let bytes = 0;
    for (const p of payload) if (!(p.buffer instanceof SharedArrayBuffer)) bytes += p.length;
    const copy = bytes > 0 ? new Uint8Array(bytes) : null;
    let at = 0;
    for (const p of payload) {
      if (p.buffer instanceof SharedArrayBuffer) {
        parts.push(p);
        continue;
      }
      copy!.set(p, at);
      parts.push(copy!.subarray(at, at + p.length));
      at += p.length;
    }
    if (copy !== null) transfer.push(copy.buffer);
    const sq = seqs.slice();
    transfer.push(sq.buffer);
    const task: SealTask = { kind: 'seal', path, payload: parts, seqs: sq.buffer, bigrams, patterns };
    return this.counted('seal', this.sealPool.run(task, { transferList: transfer }));
  }
  merge(path: string, inputs: string[], bigrams = true): Promise<BuildResult> {
    const task: MergeTask = { kind: 'merge', path, inputs, bigrams, groupedMinDf: this.groupedMinDf };
    return this.counted('merge', this.mergePool.run(task));
  }
  private async counted(kind: 'seal' | 'merge', run: Promise<WorkerResult>): Promise<BuildResult> {
    const r = await run;
    if (r.cpuSeconds !== null) this.cpu[kind] += r.cpuSeconds;
    return r.footer;
  }
  async close(): Promise<void> {
    await Promise.all([this.sealPool.destroy(), this.mergePool.destroy()]);
  }
}
