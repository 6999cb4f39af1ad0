import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSamples, resolveDatasetsDir, statSamples } from './loghub.ts';
import { mulberry32 } from '../lib/prng.ts';

/**
 * A seeded, replayable corpus: Loghub sample lines drawn at random across the 16 systems, each token with digits
 * either kept or given new random digits, as often as that token's slot took new values in the samples.
 *
 * A slot is a template's k-th token with digits (the template is the line's `EventId` in the Loghub ground truth).
 * Its chance of a new value is Good–Turing's estimate from the samples: the share of its occurrences whose value
 * occurs only once. So block ids and request times, all distinct in the samples, are new on nearly every line;
 * a node's date, a port or a first octet, which repeat, are mostly kept. Kept values come from the drawn line, so
 * they follow the samples' own frequencies. New values keep the token's shape (its length and letters) and have
 * uniformly random digits, which real new values (the next id, the next second) seldom do: the corpus's digits
 * stay somewhat more random than the samples'.
 *
 * Version 1 re-rolled every digit. That made lines nearly all distinct, but its digits were far more random than
 * real logs': over the same 4.46 MB, `zstd -19` took the version-1 lines to 0.246x, these to 0.119x and the real
 * sample lines, shuffled, to 0.100x. Version 1 carried 0.114x of raw in random digits alone, so no lossless store
 * of it could come near a quarter of its size.
 *
 * Two files hold the same lines in the same order: `corpus.log` (the bare messages, for grep-style peers) and
 * `corpus.ndjson` (`{"@timestamp":<epoch ms>,"message":…,"system":…}`, for anything that ingests records).
 * Timestamps rise strictly from CORPUS_START_MS over CORPUS_SPAN_MS whatever the line count, so a fixed time
 * window (see queries.ts) always holds about the same share of the corpus.
 *
 * The work is done on bytes: templates are pre-encoded once, and each line is a copy plus digit patches into
 * 8 MiB buffers. Digits are ASCII and never part of a UTF-8 multi-byte sequence, so patching bytes is safe.
 */

/** 2026-01-01T00:00:00Z. */
export const CORPUS_START_MS = Date.UTC(2026, 0, 1);
export const CORPUS_SPAN_MS = 30 * 86_400_000;
export const DEFAULT_SEED = 42;

/** Bump when the output for a given (lines, seed) changes, so stale caches are regenerated. */
const GENERATOR_VERSION = 2;
const WRITE_BUFFER_BYTES = 8 << 20;
const PROGRESS_EVERY_LINES = 1 << 14;
const BENCH_OUT = fileURLToPath(new URL('./out/', import.meta.url));

export interface CorpusOptions {
  readonly lines: number;
  readonly seed?: number;
  /** Defaults to `resolveDatasetsDir()`. */
  readonly datasetsDir?: string;
  /** Output folder; defaults to `defaultCorpusDir(lines, seed)` (under the git-ignored bench/out/). */
  readonly out?: string;
  readonly onProgress?: (linesDone: number, linesTotal: number) => void;
}

export interface Corpus {
  /** One message per line, `\n`-terminated. */
  readonly rawFile: string;
  /** One JSON record per line, same messages in the same order. */
  readonly ndjsonFile: string;
  readonly lines: number;
  readonly seed: number;
  readonly rawBytes: number;
  readonly ndjsonBytes: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /** True when an existing corpus with matching meta was reused. */
  readonly reused: boolean;
}

interface Meta {
  readonly version: number;
  readonly lines: number;
  readonly seed: number;
  readonly sampleSizes: readonly number[];
  readonly rawBytes: number;
  readonly ndjsonBytes: number;
  readonly firstTs: number;
  readonly lastTs: number;
}

export function defaultCorpusDir(lines: number, seed: number = DEFAULT_SEED): string {
  return join(BENCH_OUT, `corpus-${lines}-s${seed}`);
}

/** Throws `DatasetsUnavailableError` when the Loghub samples are missing, even if a cached corpus exists. */
export async function generateCorpus(opts: CorpusOptions): Promise<Corpus> {
  const lines = opts.lines;
  if (!Number.isSafeInteger(lines) || lines <= 0) throw new RangeError(`lines must be a positive integer, got ${lines}`);
  const seed = opts.seed ?? DEFAULT_SEED;
  const datasetsDir = opts.datasetsDir ?? resolveDatasetsDir();
  const out = opts.out ?? defaultCorpusDir(lines, seed);
  // Checked before the cache: a corpus is only valid for the samples it was made from.
  const sampleSizes = statSamples(datasetsDir);
  const files = { raw: join(out, 'corpus.log'), ndjson: join(out, 'corpus.ndjson'), meta: join(out, 'corpus.meta.json') };

  const cached = readMeta(files.meta);
  if (
    cached &&
    cached.version === GENERATOR_VERSION &&
    cached.lines === lines &&
    cached.seed === seed &&
    cached.sampleSizes.join() === sampleSizes.join() &&
    sizeOf(files.raw) === cached.rawBytes &&
    sizeOf(files.ndjson) === cached.ndjsonBytes
  ) {
    return { rawFile: files.raw, ndjsonFile: files.ndjson, ...pick(cached), reused: true };
  }

  mkdirSync(out, { recursive: true });
  // The meta goes first and comes back last, so an interrupted run never leaves a corpus that looks complete.
  rmSync(files.meta, { force: true });
  const templates = encodeTemplates(datasetsDir);
  const written = writeCorpus(lines, seed, templates, files.raw + '.tmp', files.ndjson + '.tmp', opts.onProgress);
  renameSync(files.raw + '.tmp', files.raw);
  renameSync(files.ndjson + '.tmp', files.ndjson);
  const meta: Meta = { version: GENERATOR_VERSION, lines, seed, sampleSizes, ...written };
  writeFileSync(files.meta + '.tmp', JSON.stringify(meta, null, 2) + '\n');
  renameSync(files.meta + '.tmp', files.meta);
  return { rawFile: files.raw, ndjsonFile: files.ndjson, ...pick(meta), reused: false };
}

function pick(m: Meta) {
  return { lines: m.lines, seed: m.seed, rawBytes: m.rawBytes, ndjsonBytes: m.ndjsonBytes, firstTs: m.firstTs, lastTs: m.lastTs };
}

function readMeta(path: string): Meta | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Meta;
  } catch {
    return null;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** A sample line pre-encoded for both outputs, with the offsets of its digits in each. */
interface Template {
  readonly raw: Buffer;
  readonly rawDigits: Int32Array;
  /** `,"message":"…","system":"…"}\n`: everything after the timestamp. */
  readonly tail: Buffer;
  readonly tailDigits: Int32Array;
  /** Per token with digits, in order: where its digits end in `rawDigits` (they start where the last one's end). */
  readonly tokenEnds: Int32Array;
  /** Per token with digits: it gets new digits when a 32-bit draw is below this (its slot's chance × 2^32). */
  readonly newBelow: Float64Array;
}

const HEAD = Buffer.from('{"@timestamp":');
const HEX = '0123456789abcdef';

/**
 * Good–Turing's estimate of the chance that a slot's next value is one not seen before: the share of the
 * occurrences whose value was seen once. `counts` holds how often each distinct value occurred.
 */
export function newValueChance(counts: Iterable<number>): number {
  let seen = 0;
  let once = 0;
  for (const c of counts) {
    seen += c;
    if (c === 1) once++;
  }
  return seen === 0 ? 1 : once / seen;
}

/** A byte of a token as the engine cuts them (letters, digits, `_`; any non-ASCII byte counts as a letter). */
function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
}

/** The line's tokens with digits, as [start, end, digit count]. */
function digitTokens(line: Buffer): [number, number, number][] {
  const out: [number, number, number][] = [];
  let i = 0;
  while (i < line.length) {
    if (!isWordByte(line[i])) {
      i++;
      continue;
    }
    const start = i;
    let digits = 0;
    for (; i < line.length && isWordByte(line[i]); i++) if (line[i] >= 0x30 && line[i] <= 0x39) digits++;
    if (digits > 0) out.push([start, i, digits]);
  }
  return out;
}

function encodeTemplates(datasetsDir: string): Template[] {
  const samples = loadSamples(datasetsDir);
  // Each slot's values over the samples, then each slot's chance of a new value.
  const slotValues = new Map<string, Map<string, number>>();
  // Per sample line, in sample order: its tokens with digits, as slots (found once, used by both passes).
  const lineSlots = samples.flatMap((sample) =>
    sample.lines.map((line, i) =>
      digitTokens(line).map(([start, end, digits], k) => ({ key: `${sample.system}\0${sample.events[i]}\0${k}`, value: line.toString('latin1', start, end), digits })),
    ),
  );
  for (const slots of lineSlots) {
    for (const { key, value } of slots) {
      let values = slotValues.get(key);
      if (!values) slotValues.set(key, (values = new Map()));
      values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
  const chance = new Map<string, number>();
  for (const [key, values] of slotValues) chance.set(key, newValueChance(values.values()));

  const templates: Template[] = [];
  for (const sample of samples) {
    const tailEnd = Buffer.from(`","system":${JSON.stringify(sample.system)}}\n`);
    for (const line of sample.lines) {
      const escaped: number[] = [...Buffer.from(',"message":"')];
      const rawDigits: number[] = [];
      const tailDigits: number[] = [];
      for (let i = 0; i < line.length; i++) {
        const b = line[i];
        if (b >= 0x30 && b <= 0x39) {
          rawDigits.push(i);
          tailDigits.push(escaped.length);
        }
        // JSON escapes by hand, because the digit offsets must map through them (\u00XX has digits of its own).
        if (b === 0x22 || b === 0x5c) escaped.push(0x5c, b);
        else if (b < 0x20) escaped.push(0x5c, 0x75, 0x30, 0x30, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 15));
        else escaped.push(b);
      }
      const slots = lineSlots[templates.length];
      let end = 0;
      templates.push({
        raw: Buffer.concat([line, Buffer.from('\n')]),
        rawDigits: Int32Array.from(rawDigits),
        tail: Buffer.concat([Buffer.from(escaped), tailEnd]),
        tailDigits: Int32Array.from(tailDigits),
        tokenEnds: Int32Array.from(slots, ({ digits }) => (end += digits)),
        newBelow: Float64Array.from(slots, ({ key }) => (chance.get(key) ?? 1) * 0x1_0000_0000),
      });
    }
  }
  return templates;
}

function writeCorpus(
  lines: number,
  seed: number,
  templates: readonly Template[],
  rawPath: string,
  ndjsonPath: string,
  onProgress: CorpusOptions['onProgress'],
): { rawBytes: number; ndjsonBytes: number; firstTs: number; lastTs: number } {
  const rand = mulberry32(seed);
  const rawFd = openSync(rawPath, 'w');
  const ndFd = openSync(ndjsonPath, 'w');
  const raw = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  const nd = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  let rawOff = 0;
  let ndOff = 0;
  let rawBytes = 0;
  let ndjsonBytes = 0;
  const stepMs = CORPUS_SPAN_MS / lines;
  let firstTs = 0;
  let ts = -Infinity;
  try {
    for (let i = 0; i < lines; i++) {
      const t = templates[rand() % templates.length];
      // Jitter within 90% of a step keeps the series increasing; the max() keeps it strict when steps go below 1 ms.
      ts = Math.max(ts + 1, CORPUS_START_MS + Math.floor(i * stepMs + (rand() / 0x1_0000_0000) * 0.9 * stepMs));
      if (i === 0) firstTs = ts;

      if (rawOff + t.raw.length > WRITE_BUFFER_BYTES) {
        rawBytes += writeAll(rawFd, raw, rawOff);
        rawOff = 0;
      }
      if (ndOff + HEAD.length + 20 + t.tail.length > WRITE_BUFFER_BYTES) {
        ndjsonBytes += writeAll(ndFd, nd, ndOff);
        ndOff = 0;
      }
      raw.set(t.raw, rawOff);
      nd.set(HEAD, ndOff);
      ndOff = writeUint(nd, ndOff + HEAD.length, ts);
      nd.set(t.tail, ndOff);

      // One draw yields 9 decimal digits (10^9 < 2^32); the slight bias of the top digit is irrelevant here.
      const rd = t.rawDigits;
      const td = t.tailDigits;
      const ends = t.tokenEnds;
      let r = 0;
      let left = 0;
      let k = 0;
      for (let tok = 0; tok < ends.length; tok++) {
        const end = ends[tok];
        if (rand() >= t.newBelow[tok]) {
          k = end;
          continue;
        }
        for (; k < end; k++) {
          if (left === 0) {
            r = rand();
            left = 9;
          }
          const d = 0x30 + (r % 10);
          r = (r / 10) >>> 0;
          left--;
          raw[rawOff + rd[k]] = d;
          nd[ndOff + td[k]] = d;
        }
      }
      rawOff += t.raw.length;
      ndOff += t.tail.length;
      if (onProgress && (i + 1) % PROGRESS_EVERY_LINES === 0) onProgress(i + 1, lines);
    }
    rawBytes += writeAll(rawFd, raw, rawOff);
    ndjsonBytes += writeAll(ndFd, nd, ndOff);
  } finally {
    closeSync(rawFd);
    closeSync(ndFd);
  }
  onProgress?.(lines, lines);
  return { rawBytes, ndjsonBytes, firstTs, lastTs: ts };
}

function writeAll(fd: number, buf: Buffer, len: number): number {
  let off = 0;
  while (off < len) off += writeSync(fd, buf, off, len - off);
  return len;
}

/** Writes a non-negative integer in decimal at `off`; returns the offset after it. */
function writeUint(buf: Buffer, off: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = off + digits - 1; i >= off; i--) {
    buf[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return off + digits;
}
