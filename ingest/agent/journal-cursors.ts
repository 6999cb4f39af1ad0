import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { StrataError, storageError } from '../../lib/errors.ts';

/**
 * Where each journald input has got to: the `__CURSOR` of the last entry the node acknowledged, kept in the
 * registry directory beside `registry.ndjson` and replaced whole in the same atomic way (format.md). A file of
 * its own rather than lines in the file registry: a registry version 1 reader takes every line for a file.
 */

export const CURSORS_FILE = 'journald-cursors.ndjson';
const MAGIC = 'STRATA-AGENT-JOURNALD';
const VERSION = 1;

export interface CursorEntry {
  /** The input's id (config `id`, or `journald-<n>`). */
  id: string;
  cursor: string;
  /** When the agent last ran this input (epoch ms); an entry of an input gone from the config for `forget_after` is dropped. */
  seenMs: number;
}

const checksum = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 16);

export function encodeCursors(entries: Iterable<CursorEntry>): string {
  let body = '';
  for (const e of entries) body += JSON.stringify({ id: e.id, cursor: e.cursor, seen_ms: e.seenMs }) + '\n';
  return `${MAGIC} ${VERSION} ${checksum(body)}\n${body}`;
}

export function decodeCursors(text: string, path: string): Map<string, CursorEntry> {
  const moveAway = 'Move it away to start over (each journald input then begins as its `from` says; the node drops what it already has by id).';
  const nl = text.indexOf('\n');
  const header = (nl < 0 ? text : text.slice(0, nl)).split(' ');
  if (header[0] !== MAGIC || header.length !== 3) throw new StrataError('storage_corrupt', `${path} is not a Strata agent journald cursor file. ${moveAway}`, { path });
  if (Number(header[1]) !== VERSION) throw new StrataError('storage_corrupt', `${path} is version ${header[1]}, this agent reads version ${VERSION}: run the agent that wrote it. ${moveAway}`, { path });
  const body = text.slice(nl + 1);
  if (checksum(body) !== header[2]) throw new StrataError('storage_corrupt', `${path} is damaged (its checksum does not match). ${moveAway}`, { path });
  const out = new Map<string, CursorEntry>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    out.set(String(o.id), { id: String(o.id), cursor: String(o.cursor), seenMs: Number(o.seen_ms) });
  }
  return out;
}

/** The cursors in `dir`; none yet (a first start) is an empty map. */
export function loadCursors(dir: string): Map<string, CursorEntry> {
  const path = join(dir, CURSORS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw storageError(e, 'read the journald cursors', path);
  }
  return decodeCursors(text, path);
}

/** What the writer asks of each journald input: its id and the cursor acknowledged (null: nothing yet). */
export interface CursorHolder {
  readonly id: string;
  readonly ackedCursor: string | null;
}

/**
 * Writes the acknowledged cursors at most every `write_interval_ms` after one moved (each write is fsynced), and
 * once more at close. Entries of inputs no longer configured are kept until `forget_after` has passed.
 */
export class CursorWriter {
  writes = 0;
  private lastMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** What is on disk, by id. */
  private written: Map<string, CursorEntry>;

  constructor(
    private readonly dir: string,
    private readonly intervalMs: number,
    private readonly forgetAfterMs: number,
    loaded: Map<string, CursorEntry>,
    private readonly holders: () => CursorHolder[],
    private readonly log: (m: string) => void,
  ) {
    this.written = loaded;
  }

  /** Whether some input's acknowledged cursor is not on disk yet. */
  get dirty(): boolean {
    return this.holders().some((h) => h.ackedCursor !== null && this.written.get(h.id)?.cursor !== h.ackedCursor);
  }

  write(): void {
    const now = Date.now();
    const next = new Map<string, CursorEntry>();
    for (const [id, e] of this.written) if (now - e.seenMs < this.forgetAfterMs) next.set(id, e);
    for (const h of this.holders()) {
      const cursor = h.ackedCursor ?? this.written.get(h.id)?.cursor;
      if (cursor !== undefined) next.set(h.id, { id: h.id, cursor, seenMs: now });
    }
    writeFileDurable(join(this.dir, CURSORS_FILE), encodeCursors(next.values()), 'the journald cursors');
    this.written = next;
    this.lastMs = now;
    this.writes++;
  }

  tryWrite(): void {
    if (!this.dirty) return;
    try {
      this.write();
    } catch (e) {
      // A cursor not written is only a cursor behind: a restart then resends more (the node drops it by id).
      this.log(`registry: ${(e as Error).message}; journald cursors stay as last written until a write succeeds`);
    }
  }

  schedule(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.tryWrite();
      },
      Math.max(0, this.lastMs + this.intervalMs - Date.now()),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
