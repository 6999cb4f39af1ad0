import { Piscina } from 'piscina';
import type { BuildResult, MergeTask, SealTask } from './tasks.ts';

/**
 * The thread pool that builds segments off the event loop. Workers load TypeScript through tsx, the same way the
 * main thread does; the queue is bounded so a flood of seals waits instead of piling up memory.
 */
export class BuildPool {
  private pool: Piscina;
  constructor(threads: number) {
    this.pool = new Piscina({
      filename: new URL('./worker.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: Math.max(1, threads),
      maxQueue: 1024,
      execArgv: ['--import', 'tsx'],
      idleTimeout: 30_000,
    });
  }
  seal(path: string, payload: Buffer, seqs: Float64Array): Promise<BuildResult> {
    // Copy into buffers we own outright so they can be transferred, not cloned, to the worker.
    const pl = new Uint8Array(payload.length);
    pl.set(payload);
    const sq = seqs.slice();
    const task: SealTask = { kind: 'seal', path, payload: pl.buffer, seqs: sq.buffer };
    return this.pool.run(task, { transferList: [pl.buffer, sq.buffer] });
  }
  merge(path: string, inputs: string[]): Promise<BuildResult> {
    const task: MergeTask = { kind: 'merge', path, inputs };
    return this.pool.run(task);
  }
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
