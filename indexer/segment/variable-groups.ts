/**
 * Version 5 stores a block's variables grouped by slot: all values of one template's k-th variable, in doc order,
 * then the next slot's. A slot's values look alike (a date, a port, an octet), so zstd finds their repeats and fits
 * its code tables to them; in doc order they are interleaved with every other slot's. Measured on a 1M-line seal of
 * the bench corpus (generator version 2), against raw: stored blocks 0.134x → 0.109x, the file 0.309x → 0.283x.
 *
 * The block's docs are still read in doc order: the writer groups the three variable streams just before it
 * compresses them, and a reader puts them back in doc order as it opens the block. That costs a few passes over
 * the block's variables (about 50,000 for 4,096 bench lines): opening a block took 2.0–2.4 ms against 0.7–0.8.
 */

import { ByteReader, ByteWriter } from './bytes.ts';

/** Marker of a variable of digits only (stored-blocks.ts); any other kind is stored in the mixed stream. */
export const DIGITS_KIND = 1;

/**
 * A doc's key for grouping: its shared template id, or, for a template local to the block (seen once there), a key
 * of its own. Docs with one key have one template, so the same number of variables of the same kinds.
 */
export const LOCAL_KEY_BASE = 1 << 20;

/**
 * Scratch arrays, reused from block to block: on this kind of machine a first write to a page costs about as much
 * as the loops that fill it, and a block's working arrays span hundreds of KiB. A call is done with them when it
 * returns.
 */
const scratch: Int32Array[] = [];
function ints(slot: number, n: number): Int32Array {
  let a = scratch[slot];
  if (a === undefined || a.length < n) a = scratch[slot] = new Int32Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  return a;
}
/** Scratch slots: the arrays of Layout, and per key (at its first group) its docs and its groups. */
const DOC_BASE = 0;
const DOC_RANK = 1;
const GROUP_START = 2;
const GROUP_KIND = 3;
const KEY_DOCS = 4;
const KEY_WIDTH = 5;
const LEN = 6;
const OFF = 7;

export interface VariableStreams {
  /** One varint per variable: its byte length. */
  readonly lens: Uint8Array;
  readonly digits: Uint8Array;
  readonly mixed: Uint8Array;
}

/** The kind of doc `d`'s k-th variable; `firstVar` is the index (in doc order) of the doc's first variable. */
export type KindOf = (d: number, firstVar: number, k: number) => number;

/** A block's slot layout (see `layout`), in scratch arrays that are valid until the next call. */
interface Layout {
  groups: number;
  vars: number;
  /** Per doc: the first group (slot) of its key, -1 when it has no variables; and its rank among its key's docs. */
  docBase: Int32Array;
  docRank: Int32Array;
  /** Per group: its first position in slot order, and its kind. */
  start: Int32Array;
  kind: Int32Array;
  /** Per variable, by its position in slot order, for the caller to fill: its length, and its offset in its stream. */
  len: Int32Array;
  off: Int32Array;
}

/**
 * Lays a block's variables out by slot: doc `d` has `counts[d]` variables under `keys[d]`. Slots are (key, k) in
 * order of first sight; a slot's variables keep doc order.
 */
function layout(keys: ArrayLike<number>, counts: ArrayLike<number>, docs: number, kindOf: KindOf): Layout {
  let vars = 0;
  for (let d = 0; d < docs; d++) vars += counts[d];
  const docBase = ints(DOC_BASE, docs);
  const docRank = ints(DOC_RANK, docs);
  const keyDocs = ints(KEY_DOCS, vars + 1);
  const width = ints(KEY_WIDTH, vars + 1);
  const kind = ints(GROUP_KIND, vars + 1);
  const baseOf = new Map<number, number>();
  let groups = 0;
  let v = 0;
  for (let d = 0; d < docs; d++) {
    const n = counts[d];
    if (n === 0) {
      docBase[d] = -1;
      continue;
    }
    let base = baseOf.get(keys[d]);
    if (base === undefined) {
      base = groups;
      groups += n;
      baseOf.set(keys[d], base);
      width[base] = n;
      keyDocs[base] = 0;
      for (let k = 0; k < n; k++) kind[base + k] = kindOf(d, v, k);
    } else if (width[base] !== n) {
      throw new RangeError(`docs of one template hold different numbers of variables (doc ${d}: ${n}, not ${width[base]})`);
    }
    docBase[d] = base;
    docRank[d] = keyDocs[base]++;
    v += n;
  }
  const start = ints(GROUP_START, groups + 1);
  let p = 0;
  for (let base = 0; base < groups; base += width[base]) {
    for (let k = 0; k < width[base]; k++) {
      start[base + k] = p;
      p += keyDocs[base];
    }
  }
  return { groups, vars, docBase, docRank, start, kind, len: ints(LEN, vars), off: ints(OFF, vars) };
}

function check(ok: boolean): void {
  if (!ok) throw new RangeError('variable streams do not match their lengths');
}

/** A writer's side: the block's variables, given in doc order, in slot order. */
export function groupVariables(from: VariableStreams, keys: ArrayLike<number>, counts: ArrayLike<number>, docs: number, kindOf: KindOf): VariableStreams {
  const { groups, vars, docBase, docRank, start, kind, len, off } = layout(keys, counts, docs, kindOf);
  // Doc order: each variable's length and offset, stored at its position in slot order.
  const fl = from.lens;
  const lr = new ByteReader(fl);
  let dp = 0;
  let mp = 0;
  for (let d = 0; d < docs; d++) {
    const base = docBase[d];
    if (base < 0) continue;
    const rank = docRank[d];
    for (let k = 0, n = counts[d]; k < n; k++) {
      const l = lr.varint();
      const p = start[base + k] + rank;
      len[p] = l;
      if (kind[base + k] === DIGITS_KIND) {
        off[p] = dp;
        dp += l;
      } else {
        off[p] = mp;
        mp += l;
      }
    }
  }
  check(lr.pos === fl.length && dp === from.digits.length && mp === from.mixed.length);
  // Slot order: write each variable.
  // Lengths are the same numbers in another order: the same bytes in all.
  const lens = new ByteWriter(fl.length + 16);
  const digits = new Uint8Array(dp);
  const mixed = new Uint8Array(mp);
  const fd = from.digits;
  const fm = from.mixed;
  let od = 0;
  let om = 0;
  for (let g = 0, p = 0; g < groups; g++) {
    const end = g + 1 < groups ? start[g + 1] : vars;
    if (kind[g] === DIGITS_KIND) {
      for (; p < end; p++) {
        const l = len[p];
        lens.varint(l);
        for (let s = off[p], e = s + l; s < e; ) digits[od++] = fd[s++];
      }
    } else {
      for (; p < end; p++) {
        const l = len[p];
        lens.varint(l);
        for (let s = off[p], e = s + l; s < e; ) mixed[om++] = fm[s++];
      }
    }
  }
  return { lens: lens.result(), digits, mixed };
}

/** Where each doc's variables start in each doc-order stream: `docs + 1` entries, the last at the stream's end. */
export interface DocStarts {
  readonly lens: Uint32Array;
  readonly digits: Uint32Array;
  readonly mixed: Uint32Array;
}

/**
 * A reader's side: the block's variables, stored in slot order, back in doc order. Fills `starts`, when given, as
 * it writes (a reader would otherwise read the lengths once more to find them).
 */
export function ungroupVariables(
  from: VariableStreams,
  keys: ArrayLike<number>,
  counts: ArrayLike<number>,
  docs: number,
  kindOf: KindOf,
  starts?: DocStarts,
): VariableStreams {
  const { groups, vars, docBase, docRank, start, kind, len, off } = layout(keys, counts, docs, kindOf);
  // Slot order: each variable's length and offset, as stored.
  const fl = from.lens;
  const lr = new ByteReader(fl);
  let dp = 0;
  let mp = 0;
  for (let g = 0, p = 0; g < groups; g++) {
    const end = g + 1 < groups ? start[g + 1] : vars;
    const digit = kind[g] === DIGITS_KIND;
    for (; p < end; p++) {
      const l = lr.varint();
      len[p] = l;
      if (digit) {
        off[p] = dp;
        dp += l;
      } else {
        off[p] = mp;
        mp += l;
      }
    }
  }
  check(lr.pos === fl.length && dp === from.digits.length && mp === from.mixed.length);
  // Doc order: write each variable.
  // Lengths are the same numbers in another order: the same bytes in all.
  const lens = new ByteWriter(fl.length + 16);
  const digits = new Uint8Array(dp);
  const mixed = new Uint8Array(mp);
  const fd = from.digits;
  const fm = from.mixed;
  let od = 0;
  let om = 0;
  for (let d = 0; d < docs; d++) {
    if (starts) {
      starts.lens[d] = lens.len;
      starts.digits[d] = od;
      starts.mixed[d] = om;
    }
    const base = docBase[d];
    if (base < 0) continue;
    const rank = docRank[d];
    for (let k = 0, n = counts[d]; k < n; k++) {
      const p = start[base + k] + rank;
      const l = len[p];
      lens.varint(l);
      if (kind[base + k] === DIGITS_KIND) for (let s = off[p], e = s + l; s < e; ) digits[od++] = fd[s++];
      else for (let s = off[p], e = s + l; s < e; ) mixed[om++] = fm[s++];
    }
  }
  if (starts) {
    starts.lens[docs] = lens.len;
    starts.digits[docs] = od;
    starts.mixed[docs] = om;
  }
  return { lens: lens.result(), digits, mixed };
}
