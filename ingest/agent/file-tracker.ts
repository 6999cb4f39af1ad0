import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileInputConfig } from './config.ts';
import { fingerprintOf, FileState, fpMatches, type InputContext, newFileKey, readHead } from './file-state.ts';
import { compileGlob, expandBraces, expandGlob, type Glob, nameMatcher, pathRegExp } from './glob.ts';
import type { RegistryEntry } from './registry.ts';

/**
 * Finds the files of the inputs and follows them through what happens to log files:
 * - **new files**: every scan expands the globs again; a file not seen before is read from its start.
 * - **rename rotation** (`app.log` → `app.log.1`, a new `app.log`): the renamed file keeps its identity, so it is
 *   read on to its end (by its new name if a glob matches it, else through the handle held open); the new file is
 *   a new identity, read from 0 once the old one has been read to its end.
 * - **copytruncate** (copied to `app.log.1`, then truncated): the file shrank below the read offset, or its first
 *   bytes changed. Its old content is looked for beside it (a file whose fingerprint is ours and is at least as
 *   long as what we read): found, the rest is read from the copy from where we were; the truncated file starts
 *   over from 0 under a new key. A copy the globs match is not read again from 0: while its original is followed,
 *   a file whose first bytes are the original's is held back (`COPY_GRACE_MS`) until the truncation reveals it.
 * - **delete and recreate**: the deleted file is read to its end through its open handle; the new one (even on the
 *   same inode number) has other first bytes and is a new identity.
 * - **restart**: each registry entry is looked for in its directory, by inode and fingerprint, or by fingerprint
 *   alone (a copy made while the agent was stopped), and resumed at its committed offset.
 */

/** How long a file that looks like a copy of a followed file waits for that file to be truncated. */
const COPY_GRACE_MS = 10_000;

export interface InputRuntime {
  cfg: FileInputConfig;
  ctx: InputContext;
  globs: Glob[];
  matchers: RegExp[];
  nextScanMs: number;
  nextPollMs: number;
}

export function inputRuntime(cfg: FileInputConfig, index: number, fieldsJson: string): InputRuntime {
  const patterns = cfg.paths.flatMap(expandBraces);
  return {
    cfg,
    ctx: { index, excluded: nameMatcher(cfg.exclude), fieldsJson },
    globs: patterns.map(compileGlob),
    matchers: patterns.map(pathRegExp),
    nextScanMs: 0,
    nextPollMs: 0,
  };
}

/** What identifies a file: device, inode and fingerprint. */
type Identity = Pick<RegistryEntry, 'dev' | 'ino' | 'fpLen' | 'fpHash'>;

interface Found {
  path: string;
  dev: string;
  ino: string;
  size: number;
  mtimeMs: number;
}

export interface TrackerHooks {
  log(m: string): void;
  /** A file's constant record bytes must be computed: it is new, or its path changed. */
  encode(f: FileState): void;
}

export class FileTracker {
  readonly states: FileState[] = [];
  /** Followed files with an open handle, by `dev:ino`. */
  private live = new Map<string, FileState>();
  /** Registry entries of files not found (yet): kept until `forget_after`. */
  private dormant: RegistryEntry[];
  /** Files that look like copies of a followed file, by `dev:ino`: when first seen. */
  private suspects = new Map<string, number>();
  private cursor = 0;
  private readonly headBytes: number;
  private reported = new Set<string>();
  /** Whether the registry on disk is behind the states. */
  dirty = false;

  constructor(
    readonly inputs: InputRuntime[],
    entries: RegistryEntry[],
    private hooks: TrackerHooks,
    private forgetAfterMs: number,
  ) {
    this.dormant = [...entries];
    this.headBytes = Math.max(...inputs.map((i) => i.cfg.fingerprint_bytes), ...entries.map((e) => e.fpLen));
  }

  /** Resumes the registry's files, then finds every input's files. */
  async start(nowMs: number): Promise<void> {
    await this.resumeDormant(nowMs);
    for (const input of this.inputs) {
      await this.scan(input, nowMs);
      input.nextScanMs = nowMs + input.cfg.scan_interval_ms;
    }
  }

  /** The registry's view: every followed file, and the entries not found but not yet forgotten. */
  entries(nowMs: number): RegistryEntry[] {
    this.dormant = this.dormant.filter((e) => nowMs - e.seenMs <= this.forgetAfterMs);
    return this.states.map((f) => f.entry()).concat(this.dormant);
  }

  /** The next file to read from, round robin, so that one busy file cannot starve the others. */
  next(): FileState | null {
    const n = this.states.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const f = this.states[i];
      if (f.fh !== null && f.readable && !f.finished && !f.waiting) {
        this.cursor = (i + 1) % n;
        return f;
      }
    }
    return null;
  }

  inputOf(f: FileState): InputRuntime {
    return this.inputs[f.input.index];
  }

  /** Marks the input's files readable again; closes detached files idle past `close_inactive_ms`; drops finished ones. */
  async poll(input: InputRuntime, nowMs: number): Promise<void> {
    // Every input's files by the names the globs match now: listed at most once per poll, and only if a file is
    // about to be closed.
    let listing: Promise<Map<string, string[]>> | null = null;
    for (const f of [...this.states]) {
      if (f.input !== input.ctx) continue;
      if (f.fh !== null && !f.finished) {
        f.readable = true;
        if (f.detached && f.atEof && nowMs - f.lastGrowthMs >= input.cfg.close_inactive_ms) {
          // The last read may be older than the last write: only the file's size now tells that it is done.
          const st = await f.fh.stat().catch(() => null);
          const size = st?.size ?? f.size;
          if (size > f.size) {
            f.size = size;
            f.lastGrowthMs = nowMs;
          } else if (f.size > f.readOffset && !f.flushPartial) f.flushPartial = true;
          else {
            // Closing is for good: a file closed here and then found by a glob is a new file, read again from 0
            // under a new key. So the scan that found it gone is not taken at its word: a scan lists a directory,
            // then looks each name up, and a rotation renaming files in between (`app.log.3` → `app.log.4` after
            // the listing, `app.log.3` taken by the next file before its lookup) hides a file the globs still
            // match. Unless it was deleted, it is looked for again by every glob now.
            const path = st !== null && st.nlink === 0 ? null : ((await (listing ??= this.listAll())).get(f.inode)?.[0] ?? null);
            if (path === null) await this.finish(f, `closed ${f.path}: renamed away or deleted, read to its end, and idle for ${input.cfg.close_inactive_ms} ms`);
            else {
              f.detached = false;
              f.seenMs = nowMs;
              if (path !== f.path) this.moved(f, path);
            }
          }
        }
      }
      // A multiline record still being joined is shipped by the agent's loop first (its file is finished).
      if (f.finished && f.fh === null && f.pending.length === 0 && !(f.joiner?.pending ?? false)) this.drop(f);
    }
  }

  /** Expands the input's globs: new files, renames, files gone, and files truncated or rewritten in place. */
  async scan(input: InputRuntime, nowMs: number): Promise<void> {
    for (const f of [...this.states]) if (f.input === input.ctx) await this.check(f, nowMs);

    const byInode = await this.list(input);
    // Known files first, so that a file renamed away is marked before a new file at its old name is discovered
    // (the new one then waits for the old one's end).
    for (const [inode, paths] of byInode) {
      const f = this.live.get(inode);
      if (f === undefined) continue;
      f.seenMs = nowMs;
      if (f.detached) f.detached = false;
      if (!paths.includes(f.path)) this.moved(f, paths[0]);
    }
    for (const f of [...this.states]) {
      if (f.input !== input.ctx || f.fh === null || f.finished || f.detached || byInode.has(f.inode)) continue;
      // A name that still leads to the file and is still matched means a listing missed it; anything else is a
      // rename out of the globs or a deletion.
      if (this.matched(f.path) && (await inodeAt(f.path)) === f.inode) continue;
      f.detached = true;
      f.movedFrom = f.path;
    }
    for (const [inode, paths] of byInode) if (!this.live.has(inode)) await this.discover(paths[0], input, nowMs);
    for (const [inode, first] of this.suspects) if (nowMs - first > 2 * COPY_GRACE_MS) this.suspects.delete(inode);
  }

  /**
   * The files the input's globs match, by `dev:ino`, with their names. Not a snapshot: each directory is listed,
   * then each name looked up, so a file renamed in between can be missing (or be seen under two names).
   */
  private async list(input: InputRuntime, into = new Map<string, string[]>()): Promise<Map<string, string[]>> {
    for (const g of input.globs) {
      const paths = await this.expand(g);
      for (const p of paths) {
        if (input.ctx.excluded(basename(p))) continue;
        let st;
        try {
          st = await stat(p, { bigint: true });
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const inode = `${st.dev}:${st.ino}`;
        const list = into.get(inode);
        if (list === undefined) into.set(inode, [p]);
        else if (!list.includes(p)) list.push(p);
      }
    }
    return into;
  }

  private async listAll(): Promise<Map<string, string[]>> {
    const into = new Map<string, string[]>();
    for (const input of this.inputs) await this.list(input, into);
    return into;
  }

  /** The paths a glob matches now (a seam for tests, which interleave renames with a scan's listing). */
  protected expand(g: Glob): Promise<string[]> {
    return expandGlob(g, (p, e) => this.reportOnce(p, `cannot list ${p}: ${e.message}`));
  }

  /** Whether some input's globs match a path. */
  matched(path: string): boolean {
    return this.inputs.some((i) => i.matchers.some((re) => re.test(path)) && !i.ctx.excluded(basename(path)));
  }

  private register(f: FileState): void {
    this.hooks.encode(f);
    this.states.push(f);
    if (f.fh !== null) this.live.set(f.inode, f);
    this.dirty = true;
  }

  private drop(f: FileState): void {
    const i = this.states.indexOf(f);
    if (i >= 0) this.states.splice(i, 1);
    if (this.live.get(f.inode) === f) this.live.delete(f.inode);
    this.dirty = true;
  }

  private async finish(f: FileState, why: string): Promise<void> {
    const fh = f.fh;
    f.fh = null;
    f.finished = true;
    f.movedFrom = null;
    if (this.live.get(f.inode) === f) this.live.delete(f.inode);
    await fh?.close().catch(() => {});
    this.hooks.log(why);
  }

  private moved(f: FileState, to: string): void {
    f.movedFrom = f.path;
    f.path = to;
    this.hooks.encode(f);
    this.dirty = true;
  }

  /** A file not followed yet: a registry entry's, a suspected copy, or a new one read from 0. */
  private async discover(path: string, input: InputRuntime, nowMs: number): Promise<void> {
    const opened = await this.openAt(path);
    if (opened === null) return;
    const { fh, found, head } = opened;
    const inode = `${found.dev}:${found.ino}`;
    if (this.live.has(inode)) {
      await fh.close();
      return;
    }
    const k = this.dormant.findIndex((e) => e.dev === found.dev && e.ino === found.ino && found.size >= e.offset && fpMatches(head, e));
    if (k >= 0) {
      const e = this.dormant.splice(k, 1)[0];
      this.resume(e, fh, found, input, nowMs);
      return;
    }
    const fpBytes = input.cfg.fingerprint_bytes;
    const original = this.states.find((t) => t.fh !== null && !t.finished && t.fpLen >= fpBytes && dirname(t.path) === dirname(path) && fpMatches(head, t));
    if (original !== undefined) {
      const first = this.suspects.get(inode) ?? nowMs;
      this.suspects.set(inode, first);
      if (nowMs - first < COPY_GRACE_MS) {
        await fh.close();
        return;
      }
    }
    this.suspects.delete(inode);
    const fpLen = Math.min(head.length, fpBytes);
    const f = new FileState(newFileKey(), path, found.dev, found.ino, fpLen, fingerprintOf(head, fpLen), 0, fh, input.ctx, nowMs, false);
    f.waitFor = this.states.find((o) => o.movedFrom === path && !o.finished) ?? null;
    this.register(f);
  }

  private resume(e: RegistryEntry, fh: FileHandle, found: Found, input: InputRuntime, nowMs: number): void {
    const f = new FileState(e.key, found.path, found.dev, found.ino, e.fpLen, e.fpHash, e.offset, fh, input.ctx, nowMs, true);
    if (found.path !== e.path) {
      f.movedFrom = e.path;
      this.hooks.log(`resuming ${e.path} at offset ${e.offset}: it is now ${found.path}`);
    }
    f.detached = !this.matched(found.path);
    this.register(f);
  }

  /**
   * Checks a followed file for truncation or rewriting (and lets its fingerprint grow to its full length): at each
   * scan, and whenever a read found the file's first bytes changed.
   */
  async check(f: FileState, nowMs: number): Promise<void> {
    if (f.fh === null || f.finished) return;
    const input = this.inputOf(f);
    let size: number;
    let head: 'same' | 'grown' | 'replaced';
    try {
      size = (await f.fh.stat()).size;
      head = await f.verifyHead(input.cfg.fingerprint_bytes);
    } catch (e) {
      this.reportOnce(f.path, `cannot read ${f.path}: ${(e as Error).message}`);
      return;
    }
    const shrank = size < f.readOffset;
    if (shrank || head === 'replaced') await this.replaced(f, input, nowMs, shrank ? `truncated (to ${size} bytes)` : 'rewritten from its start');
    else if (head === 'grown') this.dirty = true;
  }

  /** The file at `f`'s inode is no longer the content `f` was reading: finish `f` (on a copy, if one is found). */
  private async replaced(f: FileState, input: InputRuntime, nowMs: number, what: string): Promise<void> {
    const oldPath = f.path;
    const fh = f.fh!;
    const found: Found = { path: oldPath, dev: f.dev, ino: f.ino, size: 0, mtimeMs: 0 };
    this.live.delete(f.inode);
    const copy = f.fpLen > 0 ? await this.findCopy(dirname(oldPath), f, f.readOffset, input) : null;
    if (copy !== null) {
      f.fh = copy.fh;
      f.dev = copy.found.dev;
      f.ino = copy.found.ino;
      f.path = copy.found.path;
      f.movedFrom = oldPath;
      f.detached = !this.matched(copy.found.path);
      f.readable = true;
      this.live.set(f.inode, f);
      this.hooks.encode(f);
      this.hooks.log(`${oldPath} was ${what}: reading the rest of its old content from its copy ${copy.found.path}, from offset ${f.readOffset}`);
    } else {
      f.fh = null;
      f.finished = true;
      this.hooks.log(`${oldPath} was ${what}, and no copy of it was found beside it: bytes it had after offset ${f.readOffset}, if any, were not read`);
    }
    this.dirty = true;
    const head = await readHead(fh, input.cfg.fingerprint_bytes).catch(() => Buffer.alloc(0));
    const fpLen = Math.min(head.length, input.cfg.fingerprint_bytes);
    const nf = new FileState(newFileKey(), oldPath, found.dev, found.ino, fpLen, fingerprintOf(head, fpLen), 0, fh, input.ctx, nowMs, false);
    nf.waitFor = copy !== null ? f : null;
    this.register(nf);
  }

  /**
   * Looks in `dir` for the content `e` was reading: a file not followed, with `e`'s fingerprint, at least
   * `minSize` long; the most recently modified wins (a copy just made). Answers it opened.
   */
  private async findCopy(dir: string, e: Identity, minSize: number, input: InputRuntime | null): Promise<{ fh: FileHandle; found: Found } | null> {
    const candidates = (await this.listDir(dir, input)).filter((c) => !this.live.has(`${c.dev}:${c.ino}`) && c.size >= minSize);
    const same = (c: Found) => Number(c.dev === e.dev && c.ino === e.ino);
    candidates.sort((a, b) => same(b) - same(a) || b.mtimeMs - a.mtimeMs);
    for (const c of candidates) {
      const opened = await this.openAt(c.path);
      if (opened === null) continue;
      if (opened.found.dev === c.dev && opened.found.ino === c.ino && opened.found.size >= minSize && fpMatches(opened.head, e)) return { fh: opened.fh, found: opened.found };
      await opened.fh.close();
    }
    return null;
  }

  /** At start: each registry entry is looked for in its directory (same inode, or a copy) and resumed. */
  private async resumeDormant(nowMs: number): Promise<void> {
    const entries = [...this.dormant];
    for (const e of entries) {
      const input = this.inputs.find((i) => i.matchers.some((re) => re.test(e.path))) ?? this.inputs[0];
      const hit = await this.findCopy(dirname(e.path), e, e.offset, input);
      if (hit === null) {
        this.hooks.log(`${e.path} (from the registry) was not found beside its last name; its entry is kept until registry.forget_after has passed`);
        continue;
      }
      // A copy matched by fingerprint alone needs a fingerprint worth the name.
      if ((hit.found.dev !== e.dev || hit.found.ino !== e.ino) && e.fpLen < input.cfg.fingerprint_bytes) {
        await hit.fh.close();
        continue;
      }
      this.dormant.splice(this.dormant.indexOf(e), 1);
      this.resume(e, hit.fh, hit.found, input, nowMs);
    }
  }

  private async listDir(dir: string, input: InputRuntime | null): Promise<Found[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: Found[] = [];
    for (const name of names) {
      if (input?.ctx.excluded(name)) continue;
      const path = join(dir, name);
      try {
        const st = await stat(path, { bigint: true });
        if (st.isFile()) out.push({ path, dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeMs: Number(st.mtimeMs) });
      } catch {
        // Gone since the listing.
      }
    }
    return out;
  }

  /** Opens a path, with what identifies the file it holds (from the handle: the name may change meanwhile). */
  private async openAt(path: string): Promise<{ fh: FileHandle; found: Found; head: Buffer } | null> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.reportOnce(path, `cannot open ${path}: ${(e as Error).message}`);
      return null;
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) {
        await fh.close();
        return null;
      }
      const head = await readHead(fh, this.headBytes);
      return { fh, head, found: { path, dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeMs: Number(st.mtimeMs) } };
    } catch (e) {
      await fh.close().catch(() => {});
      this.reportOnce(path, `cannot read ${path}: ${(e as Error).message}`);
      return null;
    }
  }

  /** The same problem with the same file is logged once, not at every scan. */
  private reportOnce(path: string, m: string): void {
    if (this.reported.has(path)) return;
    this.reported.add(path);
    this.hooks.log(m);
  }
}

async function inodeAt(path: string): Promise<string | null> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}
