import type { FileTracker } from './file-tracker.ts';
import { saveRegistry } from './registry.ts';

/**
 * Writes the tracker's view of the files to the registry: at once when asked (a file's key must be on disk before
 * its first record leaves), else at most every `write_interval_ms` after offsets moved (each write is fsynced).
 * Without a registry (stdin and syslog only) it writes nothing.
 */
export class RegistryWriter {
  writes = 0;
  private lastMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly dir: string | null,
    private readonly intervalMs: number,
    private readonly tracker: FileTracker,
    private readonly log: (m: string) => void,
  ) {}

  /** Writes now; throws what the write threw. */
  write(): void {
    if (this.dir === null) return;
    const written = this.tracker.states.slice();
    saveRegistry(this.dir, this.tracker.entries(Date.now()));
    for (const f of written) f.persisted = true;
    this.tracker.dirty = false;
    this.lastMs = Date.now();
    this.writes++;
  }

  /** Writes now; a failure is logged, not thrown. */
  tryWrite(): void {
    try {
      this.write();
    } catch (e) {
      // Offsets not written are only offsets behind: a restart then resends more (the node drops it by id).
      this.log(`registry: ${(e as Error).message}; offsets stay as last written until a write succeeds`);
    }
  }

  /** Writes once the interval since the last write has passed, if offsets are still behind then. */
  schedule(): void {
    if (this.timer !== null || this.stopped || this.dir === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.tracker.dirty) this.tryWrite();
      },
      Math.max(0, this.lastMs + this.intervalMs - Date.now()),
    );
  }

  /** No more scheduled writes (the agent is stopping and writes once more itself). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
