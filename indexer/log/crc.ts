import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC32C (Castagnoli), hardware-accelerated through a native addon; used by every on-disk frame. */
export function crc32c(buf: Uint8Array, initial = 0): number {
  return nativeCrc32c(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), initial) >>> 0;
}
