/**
 * Version 5 stores a block's variables grouped by slot: all values of one template's k-th variable, in doc order,
 * then the next slot's. A slot's values look alike (a date, a port, an octet), so zstd finds their repeats and fits
 * its code tables to them; in doc order they are interleaved with every other slot's. Measured on a 1M-line seal of
 * the bench corpus (generator version 2), against raw: stored blocks 0.134x → 0.109x, the file 0.309x → 0.283x.
 *
 * The block's docs are still read in doc order: the writer groups the three variable streams just before it
 * compresses them, and a reader puts them back in doc order as it opens the block. That costs a few passes over
 * the block's variables (about 50,000 for 4,096 bench lines): opening a block took 3.4–4.8 ms against 0.9–1.3.
 */

/** Marker of a variable of digits only (stored-blocks.ts); any other kind is stored in the mixed stream. */
export const DIGITS_KIND = 1;

/**
 * A doc's key for grouping: its shared template id, or, for a template local to the block (seen once there), a key
 * of its own. Docs with one key have one template, so the same number of variables of the same kinds.
 */
export const LOCAL_KEY_BASE = 1 << 20;

/**
 * Scratch arrays, reused from block to block: on this kind of machine a first write to a page costs about as much
 * as the loops that fill it, and a block's working arrays span hundreds of KiB. Each call takes what it needs and is
 * done with it before it returns, except `ranks`, which the caller reads before its next call.
 */
const scratch: Int32Array[] = [];
function ints(slot: number, n: number): Int32Array {
  let a = scratch[slot];
  if (a === undefined || a.length < n) a = scratch[slot] = new Int32Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  return a;
}
const GROUP_OF = 0;
const SIZES = 1;
const WIDTH = 2;
const RANKS = 3;
const LEN = 4;
const SRC = 5;
const KIND_AT = 6;
const DEST = 7;
let kindScratch = new Uint8Array(1024);

export interface VariableStreams {
  /** One varint per variable: its byte length. */
  readonly lens: Uint8Array;
  readonly digits: Uint8Array;
  readonly mixed: Uint8Array;
}

/**
 * Where each variable goes in grouped order (a scratch array, valid until the next call), listing the variables doc by doc: doc `d` has `counts[d]` of them,
 * under `keys[d]`. Groups are (key, k) in order of first sight; a group's variables keep doc order.
 */
export function groupedRanks(keys: ArrayLike<number>, counts: ArrayLike<number>, docs: number): Int32Array {
  let vars = 0;
  for (let d = 0; d < docs; d++) vars += counts[d];
  const groupOf = ints(GROUP_OF, vars);
  // At most one group per variable; `width` is kept at a key's first group: how many groups the key has.
  const sizes = ints(SIZES, vars + 1);
  const width = ints(WIDTH, vars + 1);
  const baseOf = new Map<number, number>();
  let groups = 0;
  let v = 0;
  for (let d = 0; d < docs; d++) {
    const n = counts[d];
    if (n === 0) continue;
    let base = baseOf.get(keys[d]);
    if (base === undefined) {
      base = groups;
      groups += n;
      baseOf.set(keys[d], base);
      width[base] = n;
      sizes.fill(0, base, groups);
    } else if (width[base] !== n) {
      throw new RangeError(`docs of one template hold different numbers of variables (doc ${d}: ${n}, not ${width[base]})`);
    }
    for (let k = 0; k < n; k++) {
      groupOf[v++] = base + k;
      sizes[base + k]++;
    }
  }
  // sizes become each group's first rank.
  let next = 0;
  for (let g = 0; g < groups; g++) {
    const size = sizes[g];
    sizes[g] = next;
    next += size;
  }
  const ranks = ints(RANKS, vars).subarray(0, vars);
  for (let i = 0; i < vars; i++) ranks[i] = sizes[groupOf[i]]++;
  return ranks;
}

/**
 * Moves variable i (in the order of `from`) to position `dest[i]`; `kinds[i]` says which byte stream holds it.
 * Lengths are the same numbers in another order, so every output is as long as its input. Runs for every block a
 * reader opens, so varints are read and written inline.
 */
export function permuteVariables(from: VariableStreams, kinds: Uint8Array, dest: Int32Array): VariableStreams {
  const n = kinds.length;
  const fl = from.lens;
  const fd = from.digits;
  const fm = from.mixed;
  // Each variable's length and where its bytes start, by its position in the output.
  const len = ints(LEN, n);
  const src = ints(SRC, n);
  const kindAt = ints(KIND_AT, n);
  let lp = 0;
  let dp = 0;
  let mp = 0;
  for (let i = 0; i < n; i++) {
    let x = fl[lp++];
    let l = x & 0x7f;
    for (let mul = 128; x >= 0x80; mul *= 128) {
      x = fl[lp++];
      l += (x & 0x7f) * mul;
    }
    const to = dest[i];
    len[to] = l;
    const kind = kinds[i];
    kindAt[to] = kind;
    if (kind === DIGITS_KIND) {
      src[to] = dp;
      dp += l;
    } else {
      src[to] = mp;
      mp += l;
    }
  }
  if (lp !== fl.length || dp !== fd.length || mp !== fm.length) throw new RangeError('variable streams do not match their lengths');
  const lens = new Uint8Array(fl.length);
  const digits = new Uint8Array(fd.length);
  const mixed = new Uint8Array(fm.length);
  let ol = 0;
  let od = 0;
  let om = 0;
  for (let p = 0; p < n; p++) {
    let l = len[p];
    const s0 = src[p];
    // Variables are a few bytes long: loops copy them without a view per variable.
    if (kindAt[p] === DIGITS_KIND) for (let s = s0, e = s0 + l; s < e; ) digits[od++] = fd[s++];
    else for (let s = s0, e = s0 + l; s < e; ) mixed[om++] = fm[s++];
    while (l >= 0x80) {
      lens[ol++] = (l & 0x7f) | 0x80;
      l = Math.floor(l / 128);
    }
    lens[ol++] = l;
  }
  return { lens, digits, mixed };
}

/**
 * A reader's side: the variables of a block back in doc order. Doc `d` has `counts[d]` variables under `keys[d]`, of
 * the kinds `kindsOf(d)` (its template's).
 */
export function ungroupVariables(
  grouped: VariableStreams,
  keys: Int32Array,
  counts: Int32Array,
  kindsOf: (d: number) => Uint8Array,
  docs: number,
): VariableStreams {
  const ranks = groupedRanks(keys, counts, docs);
  const n = ranks.length;
  if (kindScratch.length < n) kindScratch = new Uint8Array(Math.max(n, 2 * kindScratch.length));
  const kinds = kindScratch.subarray(0, n);
  const dest = ints(DEST, n).subarray(0, n);
  let v = 0;
  for (let d = 0; d < docs; d++) {
    const k = kindsOf(d);
    for (let j = 0; j < k.length; j++, v++) {
      kinds[ranks[v]] = k[j];
      dest[ranks[v]] = v;
    }
  }
  return permuteVariables(grouped, kinds, dest);
}
