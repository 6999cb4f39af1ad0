import type { Span } from '../batch.ts';
import type { Source } from '../emit.ts';
import { newFileKey } from '../file-state.ts';

/**
 * What stdin and a syslog listener ship from: a stream read once, with no registry entry (there is nothing to
 * resume: what was read is gone from the pipe or the socket). Records are still named `<key>-<offset>`, the
 * offset counting the stream's bytes from the agent's start, under a key drawn at each start: so a retry of a
 * batch carries the same ids and the node stores it once, but a second run is a new stream.
 */
export class StreamSource implements Source {
  idPrefix!: Buffer;
  tail!: Buffer;
  pending: Span[] = [];
  /** Nothing to write down before its ids may leave. */
  readonly persisted = true;
  readonly key = newFileKey();
  /** The end of the last record acknowledged, in the stream's bytes. */
  committed = 0;

  constructor(
    /** `input.type` of its records. */
    readonly type: string,
    /** `,"k":v` for each configured field. */
    private readonly fieldsJson: string,
  ) {}

  encode(indexJson: string, hostJson: string): void {
    this.idPrefix = Buffer.from(`{"create":{"_index":${indexJson},"_id":"${this.key}-`);
    this.tail = Buffer.from(`","input.type":${JSON.stringify(this.type)},"host.name":${hostJson}${this.fieldsJson}}\n`);
  }

  advance(): number {
    const before = this.committed;
    while (this.pending.length > 0 && this.pending[0].acked) this.committed = this.pending.shift()!.end;
    return this.committed - before;
  }
}
