import { type ChildProcess, spawn } from 'node:child_process';
import { backoffMs } from '../backoff.ts';
import type { Span } from '../batch.ts';
import { JOURNAL_LEVELS, type JournaldInputConfig } from '../config.ts';
import type { AgentCounters } from '../counters.ts';
import type { Emitter, RecordPipeline, Source } from '../emit.ts';
import type { StreamHooks } from './hooks.ts';
import { cursorId, mapEntry } from './journald-entry.ts';

/**
 * The `journald` input: runs `journalctl -f -o json` and ships each entry (mapped as journald-entry.ts says).
 *
 * At least once: the cursor of the last entry the node acknowledged is kept in the registry
 * (journal-cursors.ts), and journalctl is started `--after-cursor` it; a record's `_id` is made of its entry's
 * cursor, so entries read again after a crash carry their ids again and the node stores them once. Without a
 * cursor, `from: end` starts at the end (`-n 0`), `from: beginning` at the journal's start.
 *
 * Backpressure: at the memory bound journalctl's stdout is paused; once the pipe is full journalctl blocks in its
 * write, and the journal waits on disk. When journalctl exits (not installed, no permission to read, killed) the
 * error is logged and counted, and it is started again after a backoff, after the last entry read.
 */

/** The records of one journald input: ids from cursors, and the cursors of the records not yet acknowledged. */
export class JournalSource implements Source {
  /** `{"create":…,"_id":"<seqnum id>-`: changes with the journal an entry comes from. */
  idPrefix: Buffer = Buffer.alloc(0);
  tail!: Buffer;
  pending: Span[] = [];
  readonly persisted = true;
  /** Bytes of journalctl output handled, up to the end of the last record acknowledged. */
  committed = 0;
  /** The cursor of the last entry acknowledged (null: none yet in this run). */
  ackedCursor: string | null = null;
  /** Cursors of entries not yet acknowledged, and where each entry ends in the output (parallel, oldest first). */
  private ends: number[] = [];
  private cursors: string[] = [];
  private head = 0;
  private key = '';
  private indexJson = '';

  constructor(
    readonly id: string,
    private readonly fieldsJson: string,
  ) {}

  encode(indexJson: string, _hostJson: string): void {
    // No host.name here: a record's comes from its entry's `_HOSTNAME`.
    this.indexJson = indexJson;
    this.tail = Buffer.from(`","input.type":"journald"${this.fieldsJson}}\n`);
  }

  /** Names the next record's id after the journal whose seqnum id is `key`. */
  useKey(key: string): void {
    if (key === this.key) return;
    this.key = key;
    this.idPrefix = Buffer.from(`{"create":{"_index":${this.indexJson},"_id":"${key}-`);
  }

  /** An entry read whose record (or drop) ends at `end`: once acknowledged, `cursor` is where to resume. */
  track(end: number, cursor: string): void {
    this.ends.push(end);
    this.cursors.push(cursor);
  }

  advance(): number {
    const before = this.committed;
    while (this.pending.length > 0 && this.pending[0].acked) this.committed = this.pending.shift()!.end;
    let h = this.head;
    while (h < this.ends.length && this.ends[h] <= this.committed) this.ackedCursor = this.cursors[h++];
    if (h > 1024 && h * 2 > this.ends.length) {
      this.ends = this.ends.slice(h);
      this.cursors = this.cursors.slice(h);
      h = 0;
    }
    this.head = h;
    return this.committed - before;
  }
}

export class JournaldInput {
  readonly source: JournalSource;
  private child: ChildProcess | null = null;
  private carry: Buffer | null = null;
  /** Output bytes handled, over every journalctl run: the end of each record's span. */
  private offset = 0;
  private skipping = false;
  private paused = false;
  private closing = false;
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Where the next journalctl starts after: the last entry read (or the stored cursor). */
  private readCursor: string | null;
  /** When journalctl was first started (s), for a restart before anything was read with `from: end`. */
  private firstStartSec: number | null = null;
  private parseErrorLogged = false;
  private readonly counters: AgentCounters;

  constructor(
    readonly id: string,
    private readonly cfg: JournaldInputConfig,
    private readonly pipe: RecordPipeline,
    private readonly emitter: Emitter,
    private readonly hooks: StreamHooks,
    fieldsJson: string,
    storedCursor: string | null,
    private readonly host: string,
  ) {
    this.source = new JournalSource(id, fieldsJson);
    this.readCursor = storedCursor;
    this.source.ackedCursor = storedCursor;
    this.counters = emitter.counters;
  }

  /** journalctl's arguments for the next start. */
  args(): string[] {
    const c = this.cfg;
    const a = ['--follow', '--output=json', '--all', '--no-pager'];
    if (c.directory !== undefined) a.push(`--directory=${c.directory}`);
    for (const f of c.files ?? []) a.push(`--file=${f}`);
    for (const u of c.units) a.push(`--unit=${u}`);
    for (const t of c.identifiers) a.push(`--identifier=${t}`);
    if (c.priority !== undefined) a.push(`--priority=${typeof c.priority === 'number' ? c.priority : c.priority === 'err' ? 3 : JOURNAL_LEVELS.indexOf(c.priority)}`);
    // With --follow, journalctl shows only the last 10 entries unless told otherwise, even after a cursor.
    if (this.readCursor !== null) a.push('--no-tail', `--after-cursor=${this.readCursor}`);
    else if (c.from === 'beginning') a.push('--no-tail');
    else if (this.firstStartSec !== null) a.push('--no-tail', `--since=@${this.firstStartSec}`);
    else a.push('--lines=0');
    return a;
  }

  start(): void {
    if (this.closing) return;
    const args = this.args();
    this.firstStartSec ??= Math.floor(Date.now() / 1000);
    let child: ChildProcess;
    try {
      child = spawn(this.cfg.journalctl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      this.exited(`cannot run ${this.cfg.journalctl}: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    let stderr = '';
    let gone = false;
    const done = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.child === child) this.child = null;
      this.exited(why);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      const what = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'permission denied' : e.message;
      done(`cannot run ${this.cfg.journalctl} (${what}): install journalctl (Debian and Ubuntu: the systemd package) or set the input's journalctl: to its path`);
    });
    child.stdout!.on('data', (c: Buffer) => this.chunk(c));
    child.stderr!.on('data', (c: Buffer) => {
      // Kept short: only its end goes into the message when journalctl exits.
      stderr = (stderr + c.toString('utf8')).slice(-1000);
    });
    child.on('close', (code, signal) => {
      const said = stderr.trim().split('\n').slice(-3).join(' | ');
      done(`journalctl exited ${signal !== null ? `on ${signal}` : `with code ${code}`}${said === '' ? '' : `: ${said}`}`);
    });
    if (this.paused) child.stdout!.pause();
  }

  /** Called when memory was freed. */
  resume(): void {
    if (!this.paused || this.hooks.full()) return;
    this.paused = false;
    this.child?.stdout?.resume();
  }

  /** Stops journalctl (SIGTERM, then SIGKILL after 2 s) and waits for it to go. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (child === null) return;
    child.stdout?.removeAllListeners('data');
    await new Promise<void>((ok) => {
      if (child.exitCode !== null || child.signalCode !== null) return ok();
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(kill);
        ok();
      });
      child.kill('SIGTERM');
    });
  }

  private exited(why: string): void {
    // A part of a line is the start of an entry not read: the next journalctl begins at it again.
    this.carry = null;
    this.skipping = false;
    if (this.closing) return;
    this.counters.journalctlFailures++;
    const wait = backoffMs({ initialMs: this.cfg.restart.initial_backoff_ms, maxMs: this.cfg.restart.max_backoff_ms, maxRetryAfterMs: 0 }, ++this.attempts, null);
    this.hooks.error(`journald input "${this.id}": ${why}; starting journalctl again in ${wait} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, wait);
  }

  private chunk(c: Buffer): void {
    if (this.closing) return;
    const data = this.carry === null ? c : Buffer.concat([this.carry, c]);
    this.carry = null;
    const max = this.cfg.max_entry_bytes;
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, pos);
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      else if (nl - pos > max) this.tooLarge();
      else if (nl > pos) this.entry(data, pos, nl, this.offset + nl + 1);
      pos = nl + 1;
    }
    const rest = data.length - pos;
    if (this.skipping) pos = data.length;
    else if (rest > max) {
      this.tooLarge();
      this.skipping = true;
      pos = data.length;
    } else if (rest > 0) this.carry = data.subarray(pos);
    this.offset += pos;
    if (this.hooks.full() && !this.paused) {
      this.paused = true;
      this.child?.stdout?.pause();
    }
    this.hooks.wake();
  }

  private tooLarge(): void {
    this.counters.linesRead++;
    this.counters.dropped.too_large++;
    this.hooks.log(`journald input "${this.id}": an entry longer than max_entry_bytes (${this.cfg.max_entry_bytes}) was skipped`);
  }

  /** One line of journalctl's output, `data[start, stop)`; its input is handled up to `end`. */
  private entry(data: Buffer, start: number, stop: number, end: number): void {
    this.counters.linesRead++;
    let o: unknown;
    try {
      o = JSON.parse(data.toString('utf8', start, stop));
    } catch {
      o = null;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      this.counters.dropped.parse_error++;
      if (!this.parseErrorLogged) this.hooks.log(`journald input "${this.id}": journalctl printed a line that is not a JSON object (skipped; logged once): ${data.toString('utf8', start, Math.min(stop, start + 200))}`);
      this.parseErrorLogged = true;
      return;
    }
    const e = mapEntry(o as Record<string, unknown>, this.host);
    const s = this.source;
    let seq = 0;
    if (e.cursor !== null) {
      const id = cursorId(e.cursor);
      s.useKey(id.key);
      seq = id.seq;
      this.readCursor = e.cursor;
      this.attempts = 0;
      // Before the record: a processor may drop it, which acknowledges it at once.
      s.track(end, e.cursor);
    } else s.useKey(cursorId(data.toString('utf8', start, stop)).key);
    const now = Date.now();
    const ts = new Date(e.tsMs ?? now).toISOString();
    this.hooks.add(this.emitter.event(s, this.pipe, { ts, fields: e.fields }, seq, end));
  }
}
