import { Piscina } from 'piscina';
import type { BuildResult, MergeTask, SealTask } from './tasks.ts';

const TSX_LOADER = import.meta.resolve('tsx');

/**
 * The threads that build segments off the event loop. Seals and merges get pools of their own: a merge of millions
 * of docs runs for tens of seconds, and a seal queued behind it would let the head fill up until ingest answers 429
 * (measured: a 5M-line ingest stalled ~30 s at the first large merge with one shared thread). Workers load
 * TypeScript through tsx, as the main thread does; queues are bounded so a flood of seals waits instead of piling
 * up memory.
 */
export class BuildPool {
  private sealPool: Piscina;
  private mergePool: Piscina;
  constructor(sealThreads: number, mergeThreads = 1) {
    const make = (threads: number) =>
      new Piscina({
        filename: new URL('./worker.ts', import.meta.url).href,
        minThreads: 1,
        maxThreads: Math.max(1, threads),
        maxQueue: 1024,
        // Resolved here, not by name: a bare `tsx` resolves from the working directory, which need not be ours.
        execArgv: ['--import', TSX_LOADER],
        idleTimeout: 30_000,
      });
    this.sealPool = make(sealThreads);
    this.mergePool = make(mergeThreads);
  }
  seal(path: string, payload: Buffer, seqs: Float64Array, bigrams = true): Promise<BuildResult> {
    // Copy into buffers we own outright so they can be transferred, not cloned, to the worker.
    const pl = new Uint8Array(payload.length);
    pl.set(payload);
    const sq = seqs.slice();
    const task: SealTask = { kind: 'seal', path, payload: pl.buffer, seqs: sq.buffer, bigrams };
    return this.sealPool.run(task, { transferList: [pl.buffer, sq.buffer] });
  }
  merge(path: string, inputs: string[], bigrams = true): Promise<BuildResult> {
    const task: MergeTask = { kind: 'merge', path, inputs, bigrams };
    return this.mergePool.run(task);
  }
  async close(): Promise<void> {
    await Promise.all([this.sealPool.destroy(), this.mergePool.destroy()]);
  }
}
