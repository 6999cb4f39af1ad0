/**
 * Stored records of version-2 segments (format.md, "blocks"). Each doc's JSON text (as UTF-8) is split into a
 * template, where every run of ASCII letters and digits that holds a digit is replaced by a marker byte, and those
 * runs, its variables. Templates repeat (about 3,000 in 200k lines of the bench corpus) and are kept once per
 * segment; the variables go to streams of their own, digits apart from mixed runs, so that zstd codes each with a
 * table fit to it. Measured on 200k bench lines against raw text: 0.317× as newline-joined JSON per block (version 1,
 * zstd level 6) → 0.175×. Costs, per doc: encoding 2.4 µs against 1.2, decoding 1.1 µs against 0.4.
 */
import { compress, decompress } from 'zstd-napi';
import { ByteReader, ByteWriter } from './bytes.ts';
import { DIGITS_KIND, groupVariables, LOCAL_KEY_BASE, ungroupVariables, type VariableStreams } from './variable-groups.ts';

/** Marker of a variable of digits only, and of one mixing letters and digits. JSON text never holds either raw. */
const DIGITS = DIGITS_KIND;
const MIXED = 2;

/** Byte classes: a variable is a maximal run of letters and digits holding at least one digit. */
const OTHER = 0;
const DIGIT = 1;
const LETTER = 2;
const MARKER = 3;
const CLASS = new Uint8Array(256);
for (let b = 48; b <= 57; b++) CLASS[b] = DIGIT;
for (let b = 65; b <= 90; b++) CLASS[b] = CLASS[b + 32] = LETTER;
CLASS[DIGITS] = CLASS[MIXED] = MARKER;

/** Per-doc template ids below this are local to the block: the doc's template, or its whole text, follows in it. */
const LOCAL_TEMPLATE = 0;
const LOCAL_VERBATIM = 1;
const FIRST_SHARED = 2;

/**
 * Bounds on the segment's shared templates, so that text where no template repeats costs only what the blocks would
 * hold anyway, and a reader never loads a huge dictionary to read one doc.
 */
const MAX_SHARED = 1 << 16;
const MAX_SHARED_BYTES = 8 << 20;
/** Templates seen once and waiting for a second sighting; the set is cleared when full. */
const MAX_PENDING = 1 << 17;

const STREAMS = 5; // ids, lens, digits, mixed, local

/**
 * The digits stream is near random in logs (counters, ids, times): zstd's matches there cost more than they save.
 * Measured on 200k bench lines, digits stream against raw: level 1 0.097×, 3 0.107×, 6 0.109×, 12 0.110×; the other
 * streams gain a little from higher levels (lengths 0.023× at 1, 0.020× at 6).
 */
const DIGITS_LEVEL = 1;

/**
 * Writes a segment's stored blocks one after another; `templates()` gives the shared dictionary to store once all
 * blocks are written. A template is shared from its second sighting on: the first one is kept in its block.
 */
export class StoredBlocksWriter {
  /** Shared templates by the FNV-1a hash of their bytes, and the bytes in id order. */
  private shared = new Map<number, number>();
  private sharedStarts: number[] = [];
  private sharedBytes = new ByteWriter(1 << 16);
  /** Hashes of templates seen once. */
  private pending = new Set<number>();
  private ids = new ByteWriter(1 << 12);
  private lens = new ByteWriter(1 << 15);
  private digits = new ByteWriter(1 << 16);
  private mixed = new ByteWriter(1 << 14);
  private local = new ByteWriter(1 << 12);
  /** Per variable of the block, in doc order: its kind (DIGITS or MIXED), for grouping (variable-groups.ts). */
  private kinds = new ByteWriter(1 << 14);
  /** Per doc: its grouping key and its number of variables. */
  private docKeys: number[] = [];
  private docVars: number[] = [];
  /** Docs in the block being written. */
  private count = 0;
  /**
   * One doc's UTF-8 text, then its template: a plain Uint8Array like the templates copied from blocks, so the code
   * that looks templates up sees one kind of array.
   */
  private textBuf = Buffer.alloc(1 << 12);
  private tpl = new Uint8Array(1 << 12);

  /** `grouped` false writes variables in doc order, as versions before 5 did (a seam for tests of old segments). */
  constructor(private level: number, private grouped = true) {}

  /** Encodes one block of docs' JSON texts into the bytes to store (one blob, covered by one CRC). */
  block(docs: readonly string[]): Uint8Array {
    this.begin();
    for (const doc of docs) this.text(doc);
    return this.end();
  }

  /** Starts a block; `text` and `copy` add its docs in order, `end` gives its bytes. */
  begin(): void {
    this.ids.len = this.lens.len = this.digits.len = this.mixed.len = this.local.len = this.kinds.len = 0;
    this.docKeys.length = this.docVars.length = 0;
    this.count = 0;
  }

  end(): Uint8Array {
    let vars: VariableStreams = { lens: this.lens.result(), digits: this.digits.result(), mixed: this.mixed.result() };
    if (this.grouped) {
      const kinds = this.kinds.buf;
      vars = groupVariables(vars, this.docKeys, this.docVars, this.count, (_d, first, k) => kinds[first + k]);
    }
    const frames = [this.ids.result(), vars.lens, vars.digits, vars.mixed, this.local.result()].map((b, s) => {
      const level = s === 2 ? DIGITS_LEVEL : this.level;
      return b.length === 0 ? b : compress(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { compressionLevel: level });
    });
    const out = new ByteWriter(32 + frames.reduce((a, f) => a + f.length, 0));
    out.varint(this.count);
    for (const f of frames) out.varint(f.length);
    for (const f of frames) out.bytes(f);
    return out.result();
  }

  /**
   * Adds doc `d` of a stored block as it is encoded there (merges): its template is looked up or shared as if its
   * text had been split again, and its variables are copied, so the bytes written are those `text` would write
   * for the doc's text, without building that text or scanning it.
   */
  copy(from: StoredBlock, d: number): void {
    from.copyTo(d, this);
  }

  /** For StoredBlock.copyTo: one doc given as a template and the ranges of its lengths and variables. */
  putEncoded(t: Template, lens: Uint8Array, l0: number, l1: number, digits: Uint8Array, d0: number, d1: number, mixed: Uint8Array, m0: number, m1: number): void {
    this.count++;
    this.lens.range(lens, l0, l1);
    this.digits.range(digits, d0, d1);
    this.mixed.range(mixed, m0, m1);
    this.kinds.bytes(t.kinds);
    this.docDone(this.template(t.bytes, t.bytes.length, t.hash), t.kinds.length);
  }

  /** For StoredBlock.copyTo: a doc kept whole. */
  putWhole(bytes: Uint8Array): void {
    this.count++;
    this.keep(LOCAL_VERBATIM, bytes, bytes.length);
    this.docDone(0, 0);
  }

  private docDone(key: number, vars: number): void {
    this.docKeys.push(key);
    this.docVars.push(vars);
  }

  /** The shared templates, in id order: the section to store with the blocks (count, byte lengths, bytes). */
  templates(): Uint8Array {
    const starts = this.sharedStarts;
    const w = new ByteWriter(16 + 3 * starts.length + this.sharedBytes.len);
    w.varint(starts.length);
    for (let k = 0; k < starts.length; k++) w.varint((k + 1 < starts.length ? starts[k + 1] : this.sharedBytes.len) - starts[k]);
    w.bytes(this.sharedBytes.result());
    const b = w.result();
    return compress(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { compressionLevel: this.level });
  }

  /** Adds a doc given as its JSON text. */
  text(s: string): void {
    if (this.textBuf.length < s.length * 3) this.textBuf = Buffer.alloc(s.length * 3);
    this.textBytes(this.textBuf, 0, this.textBuf.write(s, 0, 'utf8'));
  }

  /**
   * Adds a doc given as its JSON text's UTF-8 bytes, `text[from, end)`: a seal passes its payload's bytes, which
   * saves decoding them into strings that live as long as the seal and encoding them back here.
   */
  textBytes(text: Uint8Array, from: number, end: number): void {
    this.count++;
    if (this.tpl.length < end - from) this.tpl = new Uint8Array((end - from) * 2);
    const tpl = this.tpl;
    const lensMark = this.lens.len;
    const digitsMark = this.digits.len;
    const mixedMark = this.mixed.len;
    const kindsMark = this.kinds.len;
    let t = 0;
    let i = from;
    while (i < end) {
      const b = text[i];
      const c = CLASS[b];
      if (c === OTHER) {
        tpl[t++] = b;
        i++;
        continue;
      }
      if (c === MARKER) {
        // Not JSON.stringify's output: the variables taken so far go back, and the text is kept whole.
        this.lens.len = lensMark;
        this.digits.len = digitsMark;
        this.mixed.len = mixedMark;
        this.kinds.len = kindsMark;
        this.keep(LOCAL_VERBATIM, text.subarray(from, end), end - from);
        return this.docDone(0, 0);
      }
      // A run of letters and digits is copied into the template as it is scanned (most runs are words), and taken
      // back out when it turns out to hold a digit.
      const start = i;
      const tStart = t;
      let digit = false;
      let letter = false;
      for (; i < end; i++) {
        const d = text[i];
        const k = CLASS[d];
        if (k === DIGIT) digit = true;
        else if (k === LETTER) letter = true;
        else break;
        tpl[t++] = d;
      }
      if (!digit) continue;
      t = tStart;
      tpl[t++] = letter ? MIXED : DIGITS;
      this.kinds.byte(letter ? MIXED : DIGITS);
      this.lens.varint(i - start);
      const w = letter ? this.mixed : this.digits;
      w.reserve(i - start);
      const wb = w.buf;
      let wl = w.len;
      for (let k = start; k < i; k++) wb[wl++] = text[k];
      w.len = wl;
    }
    this.docDone(this.template(tpl, t, templateHash(tpl, t)), this.kinds.len - kindsMark);
  }

  /**
   * Writes the doc's template id: shared when it is (or just became) a segment template, else the template itself.
   * Returns the doc's grouping key: the shared id, or a key of the doc's own.
   */
  private template(tpl: Uint8Array, t: number, h: number): number {
    const id = this.shared.get(h);
    // A hash shared by two templates (rare) leaves the later one local to its blocks: smaller gain, same text.
    if (id !== undefined && this.sameAsShared(id, tpl, t)) {
      this.ids.varint(id);
      return id;
    }
    if (id === undefined && this.pending.has(h) && this.sharedStarts.length < MAX_SHARED && this.sharedBytes.len + t <= MAX_SHARED_BYTES) {
      this.pending.delete(h);
      const nid = FIRST_SHARED + this.sharedStarts.length;
      this.shared.set(h, nid);
      this.sharedStarts.push(this.sharedBytes.len);
      this.sharedBytes.bytes(tpl.subarray(0, t));
      this.ids.varint(nid);
      return nid;
    }
    if (this.pending.size >= MAX_PENDING) this.pending.clear();
    this.pending.add(h);
    this.keep(LOCAL_TEMPLATE, tpl, t);
    return LOCAL_KEY_BASE + this.count - 1;
  }

  private sameAsShared(id: number, tpl: Uint8Array, t: number): boolean {
    const k = id - FIRST_SHARED;
    const start = this.sharedStarts[k];
    const end = k + 1 < this.sharedStarts.length ? this.sharedStarts[k + 1] : this.sharedBytes.len;
    if (end - start !== t) return false;
    const b = this.sharedBytes.buf;
    for (let i = 0; i < t; i++) if (b[start + i] !== tpl[i]) return false;
    return true;
  }

  /**
   * Keeps bytes in the block: a template seen for the first time, or a doc's whole text when it holds a marker byte
   * raw. Its byte length follows the id.
   */
  private keep(id: number, bytes: Uint8Array, n: number): void {
    this.ids.varint(id);
    this.ids.varint(n);
    this.local.bytes(bytes.subarray(0, n));
  }
}

/**
 * A template: its bytes, the end of each literal part, the kind of the variable after each part but the last, and
 * the hash the writer keys templates by.
 */
interface Template {
  bytes: Uint8Array;
  ends: Uint32Array;
  kinds: Uint8Array;
  hash: number;
}

/** FNV-1a over the template's first `t` bytes. */
function templateHash(tpl: Uint8Array, t: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < t; k++) h = Math.imul(h ^ tpl[k], 0x01000193);
  return h;
}

function splitTemplate(bytes: Uint8Array): Template {
  let vars = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === DIGITS || bytes[i] === MIXED) vars++;
  const ends = new Uint32Array(vars + 1);
  const kinds = new Uint8Array(vars);
  let k = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === DIGITS || bytes[i] === MIXED) {
      kinds[k] = bytes[i];
      ends[k++] = i;
    }
  }
  ends[vars] = bytes.length;
  return { bytes, ends, kinds, hash: templateHash(bytes, bytes.length) };
}

/** A segment's shared templates, split on first use. */
export class StoredTemplates {
  private split: (Template | undefined)[];
  private constructor(private bytes: Uint8Array, private starts: Uint32Array) {
    this.split = new Array<Template | undefined>(starts.length - 1);
  }
  static parse(section: Uint8Array): StoredTemplates {
    const r = new ByteReader(section);
    const count = r.varint();
    const starts = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) starts[i + 1] = starts[i] + r.varint();
    if (r.pos + starts[count] !== section.length) throw new RangeError('stored templates section is not as long as its lengths say');
    return new StoredTemplates(new Uint8Array(section.buffer, section.byteOffset + r.pos, section.byteLength - r.pos), starts);
  }
  get count(): number {
    return this.split.length;
  }
  get(i: number): Template {
    if (i >= this.split.length) throw new RangeError(`stored block names template ${i} of ${this.split.length}`);
    return (this.split[i] ??= splitTemplate(this.bytes.subarray(this.starts[i], this.starts[i + 1])));
  }
}

/**
 * One stored block, opened: its streams decompressed and, per doc, where its template and variables start, found in
 * one pass over the ids and lengths without copying any text. A doc's text is built when asked for, so a page of
 * hits spread over many blocks costs a few docs per block, not every doc of each.
 */
export class StoredBlock {
  readonly count: number;
  private lens: Uint8Array;
  private digits: Uint8Array;
  private mixed: Uint8Array;
  /**
   * Per doc: its template; where its lengths, digits and mixed variables start (each offset array has one entry
   * more, at the stream's end, so that a doc's bytes end where the next doc's start); a doc kept whole has none.
   */
  private templateOf: Template[];
  private whole: (Uint8Array | undefined)[];
  private lensAt: Uint32Array;
  private digitsAt: Uint32Array;
  private mixedAt: Uint32Array;
  private texts: (string | undefined)[];

  /** `grouped`: the block's variables are grouped by slot (version 5 on; variable-groups.ts). */
  constructor(blob: Uint8Array, templates: StoredTemplates, grouped: boolean) {
    const head = new ByteReader(blob);
    const count = head.varint();
    const sizes: number[] = [];
    for (let s = 0; s < STREAMS; s++) sizes.push(head.varint());
    let p = head.pos;
    const [ids, lensIn, digitsIn, mixedIn, local] = sizes.map((size) => {
      const frame = blob.subarray(p, p + size);
      p += size;
      if (size === 0) return new Uint8Array(0);
      // Plain Uint8Array views (not Buffers), so that every array the loops read has one shape.
      const b = decompress(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    });
    if (p !== blob.length) throw new RangeError(`stored block has ${blob.length - p} bytes past its streams`);
    this.count = count;
    this.templateOf = new Array<Template>(count);
    this.whole = new Array<Uint8Array | undefined>(count);
    this.lensAt = new Uint32Array(count + 1);
    this.digitsAt = new Uint32Array(count + 1);
    this.mixedAt = new Uint32Array(count + 1);
    this.texts = new Array<string | undefined>(count);
    const ir = new ByteReader(ids);
    const keys = new Int32Array(count);
    const varCounts = new Int32Array(count);
    let lp = 0;
    for (let d = 0; d < count; d++) {
      const id = ir.varint();
      let t: Template;
      if (id >= FIRST_SHARED) t = templates.get(id - FIRST_SHARED);
      else {
        const len = ir.varint();
        const bytes = local.subarray(lp, (lp += len));
        if (id === LOCAL_VERBATIM) {
          this.whole[d] = bytes;
          t = NO_TEMPLATE;
        } else t = splitTemplate(bytes);
      }
      this.templateOf[d] = t;
      keys[d] = id >= FIRST_SHARED ? id : LOCAL_KEY_BASE + d;
      varCounts[d] = t.kinds.length;
    }
    if (ir.pos !== ids.length || lp !== local.length) throw new RangeError('stored block streams do not match its docs');
    const stored = { lens: lensIn, digits: digitsIn, mixed: mixedIn };
    if (grouped) {
      // Putting the variables back in doc order checks their lengths and finds where each doc's start.
      const templateOf = this.templateOf;
      const starts = { lens: this.lensAt, digits: this.digitsAt, mixed: this.mixedAt };
      ({ lens: this.lens, digits: this.digits, mixed: this.mixed } = ungroupVariables(stored, keys, varCounts, count, (d, _first, k) => templateOf[d].kinds[k], starts));
      return;
    }
    this.lens = stored.lens;
    this.digits = stored.digits;
    this.mixed = stored.mixed;
    const lr = new ByteReader(this.lens);
    let dp = 0;
    let mp = 0;
    for (let d = 0; d < count; d++) {
      this.lensAt[d] = lr.pos;
      this.digitsAt[d] = dp;
      this.mixedAt[d] = mp;
      const kinds = this.templateOf[d].kinds;
      for (let k = 0; k < kinds.length; k++) {
        if (kinds[k] === DIGITS) dp += lr.varint();
        else mp += lr.varint();
      }
    }
    if (lr.pos !== this.lens.length || dp !== this.digits.length || mp !== this.mixed.length) {
      throw new RangeError('stored block streams do not match its docs');
    }
    this.lensAt[count] = lr.pos;
    this.digitsAt[count] = dp;
    this.mixedAt[count] = mp;
  }

  /** Hands doc `d` to a writer as it is encoded here (StoredBlocksWriter.copy). */
  copyTo(d: number, w: StoredBlocksWriter): void {
    const whole = this.whole[d];
    if (whole !== undefined) w.putWhole(whole);
    else w.putEncoded(this.templateOf[d], this.lens, this.lensAt[d], this.lensAt[d + 1], this.digits, this.digitsAt[d], this.digitsAt[d + 1], this.mixed, this.mixedAt[d], this.mixedAt[d + 1]);
  }

  /** The doc's JSON text (`d` from 0, below `count`); kept once built, since pages of hits are read again. */
  doc(d: number): string {
    return (this.texts[d] ??= this.build(d));
  }

  private build(d: number): string {
    const whole = this.whole[d];
    if (whole !== undefined) return Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength).toString('utf8');
    const { bytes, ends, kinds } = this.templateOf[d];
    let dp = this.digitsAt[d];
    let mp = this.mixedAt[d];
    // The doc's variables are the bytes up to the next doc's in each stream.
    const size = bytes.length - kinds.length + (this.digitsAt[d + 1] - dp) + (this.mixedAt[d + 1] - mp);
    if (scratch.length < size) {
      scratchText = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
      scratch = new Uint8Array(scratchText.buffer, scratchText.byteOffset, scratchText.length);
    }
    const out = scratch;
    const digits = this.digits;
    const mixed = this.mixed;
    const lens = this.lens;
    let lp = this.lensAt[d];
    let o = 0;
    let from = 0;
    for (let k = 0; k <= kinds.length; k++) {
      const end = ends[k];
      for (let i = from; i < end; i++) out[o++] = bytes[i];
      from = end + 1;
      if (k === kinds.length) break;
      // The variable's length, a varint read inline as decodeDeltas reads them: this runs for every variable decoded.
      let x = lens[lp++];
      let v = x & 0x7f;
      for (let shift = 7; x >= 0x80; shift += 7) {
        x = lens[lp++];
        v += (x & 0x7f) * 2 ** shift;
      }
      if (kinds[k] === DIGITS) for (const stop = dp + v; dp < stop; ) out[o++] = digits[dp++];
      else for (const stop = mp + v; mp < stop; ) out[o++] = mixed[mp++];
    }
    return scratchText.toString('utf8', 0, o);
  }

  /** Every doc's text, in order. */
  all(): string[] {
    return Array.from({ length: this.count }, (_, d) => this.doc(d));
  }
}

/**
 * Where a doc's text is built before it is decoded to a string, grown as needed and shared by every block: written
 * through a plain Uint8Array view, decoded through a Buffer view of the same bytes (no Buffer made per doc).
 */
let scratchText = Buffer.allocUnsafe(1 << 14);
let scratch = new Uint8Array(scratchText.buffer, scratchText.byteOffset, scratchText.length);
const NO_TEMPLATE: Template = { bytes: new Uint8Array(0), ends: new Uint32Array(1), kinds: new Uint8Array(0), hash: 0 };
