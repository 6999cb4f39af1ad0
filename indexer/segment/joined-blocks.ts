import type { StoredBlocksWriter } from './stored-blocks.ts';

/**
 * A stored block of docs' JSON joined by newlines, decompressed: what seals write (layout.ts, ZSTD_LEVEL_SEAL) and
 * version 1 wrote. JSON text never holds a raw newline, so the block splits back into its docs exactly.
 */
export class JoinedBlock {
  private constructor(
    private readonly bytes: Buffer,
    /** Doc d is `bytes[starts[d], starts[d + 1] - 1)`: each start is one past the newline before it. */
    private readonly starts: Uint32Array,
  ) {}

  /** The block's `docs` docs, or null when its bytes hold another number of lines. */
  static split(raw: Uint8Array, docs: number): JoinedBlock | null {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const starts = new Uint32Array(docs + 1);
    let at = 0;
    for (let d = 1; d < docs; d++) {
      const nl = bytes.indexOf(10, at);
      if (nl < 0) return null;
      starts[d] = at = nl + 1;
    }
    if (docs > 0 && bytes.indexOf(10, at) >= 0) return null;
    starts[docs] = bytes.length + 1;
    return new JoinedBlock(bytes, starts);
  }

  doc(d: number): string {
    return this.bytes.toString('utf8', this.starts[d], this.starts[d + 1] - 1);
  }

  /** Adds doc `d` to a block being written, from its bytes. */
  copyTo(d: number, w: StoredBlocksWriter): void {
    w.textBytes(this.bytes, this.starts[d], this.starts[d + 1] - 1);
  }
}
