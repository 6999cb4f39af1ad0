/** Helpers for segment tests: files rewritten as older versions wrote them, docs as a seal's payload holds them. */
import { readFileSync } from 'node:fs';
import { crc32c } from '../log/crc.ts';
import type { SegmentFooter } from './layout.ts';
import type { DocBytes } from './doc-fields.ts';

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

/** The texts as a seal's payload holds them: `ts \t json \n` lines, `perBuffer` docs to a buffer. */
export function asPayload(json: readonly string[], perBuffer: number): DocBytes {
  const n = json.length;
  const docs: DocBytes = { bufs: [], buf: new Uint32Array(n), start: new Uint32Array(n), end: new Uint32Array(n) };
  for (let first = 0; first < n; first += perBuffer) {
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = first; i < Math.min(n, first + perBuffer); i++) {
      const head = Buffer.from(`${1000 + i}\t`);
      const body = Buffer.from(json[i], 'utf8');
      docs.buf[i] = docs.bufs.length;
      docs.start[i] = at + head.length;
      docs.end[i] = at + head.length + body.length;
      parts.push(head, body, Buffer.from('\n'));
      at = docs.end[i] + 1;
    }
    docs.bufs.push(Buffer.concat(parts));
  }
  return docs;
}
