/** Helpers for tests that rewrite segment files as older versions wrote them. */
import { readFileSync } from 'node:fs';
import { crc32c } from '../log/crc.ts';
import type { SegmentFooter } from './layout.ts';

/** A segment file's bytes before its footer, and the footer. */
export function readSegmentFile(path: string): { body: Buffer; footer: SegmentFooter } {
  const file = readFileSync(path);
  const flen = file.readUInt32LE(file.length - 16);
  const footer = JSON.parse(file.toString('utf8', file.length - 16 - flen, file.length - 16)) as SegmentFooter;
  return { body: file.subarray(0, file.length - 16 - flen), footer };
}

/** The file of `parts` (the bytes before the footer) with `footer` and its tail; the head's version byte follows it. */
export function withFooter(parts: readonly Buffer[], footer: SegmentFooter): Buffer {
  const fj = Buffer.from(JSON.stringify(footer));
  const tail = Buffer.alloc(16);
  tail.writeUInt32LE(fj.length, 0);
  tail.writeUInt32LE(crc32c(fj), 4);
  tail.write('STRSEGND', 8, 'latin1');
  const out = Buffer.concat([...parts, fj, tail]);
  out[7] = footer.version; // the head magic's version byte
  return out;
}
