import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { ensureDir } from '../../lib/errors.ts';
import { readJsonFile } from '../../lib/json-file.ts';

/**
 * Dashboard sign-ins. A session token is 32 random bytes the dashboard keeps in an HTTP-only cookie and forwards
 * as `Authorization: Bearer`; the node keeps its SHA-256, the user and the expiry, on disk so that a restart does
 * not sign everyone out. Sessions end at logout, at expiry, or when the user is deleted.
 */
const SessionSchema = z.object({ token_sha256: z.string(), username: z.string(), created_at: z.string(), expires_at: z.string() }).strict();
type Session = z.infer<typeof SessionSchema>;
const FileSchema = z.object({ version: z.literal(1), sessions: z.array(SessionSchema) }).strict();
/** Session tokens start with this, so that a Bearer credential is told apart from an encoded API key. */
export const SESSION_PREFIX = 'sst_';
const MAX_SESSIONS = 10_000;

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

export class SessionStore {
  private byHash = new Map<string, Session>();
  private constructor(private readonly file: string, private readonly ttlMs: number) {}

  static open(dir: string, ttlMs: number): SessionStore {
    ensureDir(dir, mkdirSync);
    const s = new SessionStore(join(dir, 'sessions.json'), ttlMs);
    for (const x of readJsonFile(s.file, FileSchema, 'sessions', 'signs everyone out')?.sessions ?? []) s.byHash.set(x.token_sha256, x);
    return s;
  }

  create(username: string, nowMs = Date.now()): { token: string; expires_at: string } {
    const next = new Map([...this.byHash].filter(([, s]) => Date.parse(s.expires_at) > nowMs));
    if (next.size >= MAX_SESSIONS) {
      // The oldest sign-in makes room: a flood of logins cannot grow the file without bound.
      const oldest = [...next.entries()].sort((a, b) => (a[1].created_at < b[1].created_at ? -1 : 1))[0];
      next.delete(oldest[0]);
    }
    const token = SESSION_PREFIX + randomBytes(32).toString('base64url');
    const s: Session = { token_sha256: sha256hex(token), username, created_at: new Date(nowMs).toISOString(), expires_at: new Date(nowMs + this.ttlMs).toISOString() };
    next.set(s.token_sha256, s);
    this.commit(next);
    return { token, expires_at: s.expires_at };
  }

  /**
   * The session's user, or null when unknown or expired, or begun before `notBefore` (the user's last change:
   * a new password set by `strata users` in another process ends the sessions this process holds).
   */
  lookup(token: string, notBefore: (username: string) => string | null, nowMs = Date.now()): { username: string; expires_at: string } | null {
    const s = this.byHash.get(sha256hex(token));
    if (!s || Date.parse(s.expires_at) <= nowMs) return null;
    const changed = notBefore(s.username);
    if (changed === null || s.created_at < changed) return null;
    return { username: s.username, expires_at: s.expires_at };
  }

  end(token: string): void {
    const h = sha256hex(token);
    if (!this.byHash.has(h)) return;
    const next = new Map(this.byHash);
    next.delete(h);
    this.commit(next);
  }

  /** Ends every session of a user (deleted, or given a new password). */
  endAll(username: string): void {
    const next = new Map([...this.byHash].filter(([, s]) => s.username !== username));
    if (next.size !== this.byHash.size) this.commit(next);
  }

  private commit(next: Map<string, Session>): void {
    writeFileDurable(this.file, JSON.stringify({ version: 1, sessions: [...next.values()] }), 'sessions', { mode: 0o600 });
    this.byHash = next;
  }
}
