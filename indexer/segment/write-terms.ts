import type { FieldMeta } from './layout.ts';
import type { TermTable } from './term-table.ts';
import type { PatternDocs } from './grouped-postings.ts';
import { sortTermIds } from './sort-terms.ts';
import { buildScratch } from './scratch.ts';
import { type FileOut, TermsWriter } from './segment-file.ts';
import { native, type NativeTerms } from '../native/index.ts';

/** The thread's buffer for the compiled writer's streams, kept from field to field (see scratch.ts on fresh memory). */
let termBytes = new Uint8Array(1 << 20);
const termSizes = new Float64Array(6);

/** writeTerms through the compiled writer (native/terms.cc), which writes the same bytes; null when it leaves them. */
function writeTermsNative(nt: NativeTerms, out: FileOut, tt: TermTable, firstBigram: number, skip: Uint8Array | null): NonNullable<FieldMeta['text']> | null {
  const done = nt.terms(tt.joined(), tt.size, tt.pairTerm, tt.pairDoc, tt.pairPos, tt.pairs, firstBigram, skip, termBytes, termSizes);
  if (done < 0) return null;
  if (done === 0) {
    let need = 0;
    for (let k = 1; k < 6; k++) need += termSizes[k];
    termBytes = new Uint8Array(Math.max(need, termBytes.length * 2));
    nt.copyTerms(termBytes);
  }
  let at = 0;
  const next = (k: number) => out.writeCompressed(termBytes.subarray(at, (at += termSizes[k])));
  // In the order TermsWriter.finish writes them: the file's bytes depend on it.
  return { terms: termSizes[0], dict: next(1), postings: next(2), offsets: next(3), positions: next(4), skips: next(5) };
}

/**
 * Writes a field's dictionary and postings: through the compiled writer when it can (a seal's fields, ASCII terms),
 * else through TermsWriter, which writes the same bytes. Terms from `firstBigram` on are bigram terms: postings
 * without positions. Terms t with skip[t] === 1 are left out.
 */
export function writeTerms(
  out: FileOut,
  tt: TermTable,
  firstBigram: number,
  skip: Uint8Array | null,
  counted: boolean,
  patterns: PatternDocs | null = null,
  groupedMinDf?: number,
): NonNullable<FieldMeta['text']> {
  if (native.terms !== null && !counted && patterns === null) {
    const text = writeTermsNative(native.terms, out, tt, firstBigram, skip);
    if (text !== null) return text;
  }
  const terms = tt.terms;
  const nTerms = terms.length;
  // Counting sort of occurrences by term id; within a term they stay in (doc, position) order as added. Skipped
  // terms (the words of a field with patterns, about half its occurrences) are left out of the scatter, whose
  // random writes are most of this function's time.
  const counts = new Uint32Array(nTerms + 1);
  const { pairTerm, pairDoc, pairPos } = tt;
  for (let i = 0; i < tt.pairs; i++) counts[pairTerm[i] + 1]++;
  if (skip !== null) for (let t = 0; t < nTerms; t++) if (skip[t] === 1) counts[t + 1] = 0;
  for (let t = 0; t < nTerms; t++) counts[t + 1] += counts[t];
  const cursor = counts.slice(0, nTerms);
  // From the thread's pool, maybe longer than needed: only [0, counts[nTerms]) is written and read.
  const occDoc = buildScratch.take(counts[nTerms]);
  const occPos = buildScratch.take(counts[nTerms]);
  for (let i = 0; i < tt.pairs; i++) {
    const t = pairTerm[i];
    if (skip !== null && skip[t] === 1) continue;
    const at = cursor[t]++;
    occDoc[at] = pairDoc[i];
    occPos[at] = pairPos[i];
  }
  let maxOcc = 0;
  for (let t = 0; t < nTerms; t++) maxOcc = Math.max(maxOcc, counts[t + 1] - counts[t]);
  // Scratch reused across terms: the term's distinct docs, and where each doc's positions start.
  const docs = new Uint32Array(maxOcc);
  const posStart = new Uint32Array(maxOcc + 1);

  const w = new TermsWriter(counts[nTerms], nTerms, counted, patterns, groupedMinDf);
  for (const t of sortTermIds(terms)) {
    if (skip !== null && skip[t] === 1) continue;
    const term = terms[t];
    const lo = counts[t];
    const hi = counts[t + 1];
    let df = 0;
    for (let i = lo; i < hi; i++) {
      if (i > lo && occDoc[i] === occDoc[i - 1]) continue;
      posStart[df] = i - lo;
      docs[df++] = occDoc[i];
    }
    posStart[df] = hi - lo;
    if (t >= firstBigram) w.add(term, docs, df, null, null);
    else w.add(term, docs, df, posStart, occPos.subarray(lo, hi));
  }
  const text = w.finish(out);
  buildScratch.give(occDoc, occPos);
  return text;
}
