/**
 * Term ids ordered by their strings' UTF-16 code units, the order of a segment's dictionary (and of the reader's
 * binary search). An MSD radix sort over code units: sealing 200k bench lines, sorting the 374k distinct strings
 * and looking each id up again took ~0.7–1.1 s of a 4–5 s seal; this takes a fraction (see DESIGN.md).
 */
const SMALL = 24;
/** Buckets per pass: 0 for "string ended", 1..128 for ASCII code units, 129 for anything above. */
const BUCKETS = 130;

export function sortTermIds(terms: readonly string[]): Uint32Array {
  const n = terms.length;
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  const tmp = new Uint32Array(n);
  const bucketOf = new Uint8Array(n);
  const count = new Uint32Array(BUCKETS + 1);
  const next = new Uint32Array(BUCKETS);
  // Ranges still to sort, from code unit `depth` on (all earlier ones are equal within a range).
  const stack: number[] = [0, n, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    if (hi - lo <= SMALL) {
      insertionSort(terms, ids, lo, hi, depth);
      continue;
    }
    count.fill(0);
    for (let i = lo; i < hi; i++) {
      const t = terms[ids[i]];
      const c = depth < t.length ? t.charCodeAt(depth) : -1;
      const b = c < 0 ? 0 : c < 128 ? c + 1 : 129;
      bucketOf[i] = b;
      count[b + 1]++;
    }
    for (let b = 1; b <= BUCKETS; b++) count[b] += count[b - 1];
    next.set(count.subarray(0, BUCKETS));
    for (let i = lo; i < hi; i++) tmp[lo + next[bucketOf[i]]++] = ids[i];
    ids.set(tmp.subarray(lo, hi), lo);
    // Bucket 0 (strings that ended) holds equal strings only; buckets 1..128 go on one code unit deeper; the rest
    // (non-ASCII at this depth, rare in logs) are ordered by comparison.
    for (let b = 1; b < BUCKETS; b++) {
      const a = lo + count[b];
      const z = lo + count[b + 1];
      if (z - a < 2) continue;
      if (b === BUCKETS - 1) sortByComparison(terms, ids, a, z);
      else stack.push(a, z, depth + 1);
    }
  }
  return ids;
}

function insertionSort(terms: readonly string[], ids: Uint32Array, lo: number, hi: number, depth: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = ids[i];
    const s = terms[v];
    let j = i - 1;
    while (j >= lo && lessFrom(s, terms[ids[j]], depth)) {
      ids[j + 1] = ids[j];
      j--;
    }
    ids[j + 1] = v;
  }
}

/** a < b, comparing code units from `depth` on (those before are equal). */
function lessFrom(a: string, b: string, depth: number): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = depth; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d < 0;
  }
  return a.length < b.length;
}

function sortByComparison(terms: readonly string[], ids: Uint32Array, lo: number, hi: number): void {
  const part = Array.from(ids.subarray(lo, hi)).sort((x, y) => (terms[x] < terms[y] ? -1 : terms[x] > terms[y] ? 1 : 0));
  ids.set(part, lo);
}
