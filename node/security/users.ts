import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { UserInfo } from '../../lib/client/types.ts';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { ensureDir, StrataError } from '../../lib/errors.ts';
import { readJsonFile } from '../../lib/json-file.ts';
import { generatePassword, hashPassword, passwordProblem, PasswordHashSchema, verifyPassword } from './passwords.ts';

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const StoredUserSchema = z
  .object({
    username: z.string().regex(USERNAME_RE),
    role: z.string().min(1),
    password: PasswordHashSchema,
    created_at: z.string(),
    updated_at: z.string(),
    /** Sessions begun before this have ended. */
    password_changed_at: z.string(),
  })
  .strict();
export type StoredUser = z.infer<typeof StoredUserSchema>;
const FileSchema = z.object({ version: z.literal(1), users: z.array(StoredUserSchema) }).strict();

/** A user as listed: never the password hash. */
export type UserView = UserInfo;

export function usernameProblem(name: string): string | null {
  return USERNAME_RE.test(name) ? null : `invalid username "${name.slice(0, 70)}": use letters, digits, ".", "_", "@" and "-" (at most 64), starting with a letter or digit`;
}

/**
 * The node's users, in `security/users.json` (mode 0600): names, roles and scrypt hashes, never passwords.
 * `strata users` edits the same file while a node runs, so the store re-reads it when its mtime moves.
 */
export class UserStore {
  private byName = new Map<string, StoredUser>();
  /** The file as last read or written (each write renames a new inode in): a change by another process shows. */
  private seen = '';
  /** Bumped on every change, so caches of verified credentials can tell they are stale. */
  generation = 0;

  private constructor(private readonly file: string, private readonly roleExists: (name: string) => boolean) {}

  static open(dir: string, roleExists: (name: string) => boolean): UserStore {
    ensureDir(dir, mkdirSync);
    const s = new UserStore(join(dir, 'users.json'), roleExists);
    s.reloadIfChanged();
    return s;
  }

  get isEmpty(): boolean {
    this.reloadIfChanged();
    return this.byName.size === 0;
  }

  /** Re-reads the file when another process (`strata users`) changed it. */
  reloadIfChanged(): void {
    const now = this.signature();
    if (now === this.seen) return;
    const data = readJsonFile(this.file, FileSchema, 'Strata users', 'deletes every user; the next start creates a new admin');
    this.byName = new Map((data?.users ?? []).map((u) => [u.username, u]));
    this.seen = now;
    this.generation++;
  }

  list(): UserView[] {
    this.reloadIfChanged();
    return [...this.byName.values()].sort((a, b) => (a.username < b.username ? -1 : 1)).map(view);
  }

  get(username: string): StoredUser | null {
    this.reloadIfChanged();
    return this.byName.get(username) ?? null;
  }

  async add(username: string, password: string, role: string): Promise<UserView> {
    this.reloadIfChanged();
    const bad = usernameProblem(username) ?? passwordProblem(password);
    if (bad) throw new StrataError('invalid_request', bad);
    this.checkRole(role);
    if (this.byName.has(username)) throw new StrataError('conflict', `a user named "${username}" exists; reset its password instead`);
    const now = new Date().toISOString();
    const u: StoredUser = { username, role, password: await hashPassword(password), created_at: now, updated_at: now, password_changed_at: now };
    this.commit(new Map(this.byName).set(username, u));
    return view(u);
  }

  async setPassword(username: string, password: string): Promise<void> {
    const bad = passwordProblem(password);
    if (bad) throw new StrataError('invalid_request', bad);
    const u = this.must(username);
    const hash = await hashPassword(password);
    const now = new Date().toISOString();
    this.commit(new Map(this.byName).set(username, { ...u, password: hash, updated_at: now, password_changed_at: now }));
  }

  setRole(username: string, role: string): UserView {
    const u = this.must(username);
    this.checkRole(role);
    if (u.role === 'admin' && role !== 'admin') this.keepAnAdmin(username);
    const next = { ...u, role, updated_at: new Date().toISOString() };
    this.commit(new Map(this.byName).set(username, next));
    return view(next);
  }

  delete(username: string): void {
    const u = this.must(username);
    if (u.role === 'admin') this.keepAnAdmin(username);
    const next = new Map(this.byName);
    next.delete(username);
    this.commit(next);
  }

  /** The user when the password is theirs; null otherwise (unknown users cost the same time as wrong passwords). */
  async verify(username: string, password: string): Promise<StoredUser | null> {
    const u = this.get(username);
    const ok = await verifyPassword(password, u?.password ?? DUMMY_HASH);
    return u && ok ? u : null;
  }

  /**
   * At first start, the `admin` user: with `STRATA_PASSWORD` when set, else a generated password, returned so
   * that the node prints it once. Null when users exist.
   */
  async bootstrap(envPassword: string | undefined): Promise<{ username: string; password: string; generated: boolean } | null> {
    if (!this.isEmpty) return null;
    const generated = envPassword === undefined || envPassword === '';
    const password = generated ? generatePassword() : envPassword;
    const bad = passwordProblem(password);
    if (bad) throw new StrataError('invalid_config', `STRATA_PASSWORD is not usable: ${bad}`);
    await this.add('admin', password, 'admin');
    return { username: 'admin', password, generated };
  }

  private signature(): string {
    try {
      const st = statSync(this.file);
      return `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return 'absent';
    }
  }

  private must(username: string): StoredUser {
    const u = this.get(username);
    if (!u) throw new StrataError('not_found', `no user named "${username.slice(0, 70)}"`);
    return u;
  }

  private checkRole(role: string): void {
    if (!this.roleExists(role)) throw new StrataError('invalid_request', `no role named "${role.slice(0, 70)}"; the built-in roles are admin, editor and viewer`);
  }

  private keepAnAdmin(username: string): void {
    const others = [...this.byName.values()].filter((u) => u.role === 'admin' && u.username !== username);
    if (others.length === 0) throw new StrataError('conflict', `"${username}" is the last admin; make another user admin first`);
  }

  private commit(next: Map<string, StoredUser>): void {
    writeFileDurable(this.file, JSON.stringify({ version: 1, users: [...next.values()] }, null, 2), 'users', { mode: 0o600 });
    this.byName = next;
    this.seen = this.signature();
    this.generation++;
  }
}

function view(u: StoredUser): UserView {
  return { username: u.username, role: u.role, created_at: u.created_at, updated_at: u.updated_at };
}

/** Checked against when the user is unknown, so that answering "no" takes as long either way. */
const DUMMY_HASH = { alg: 'scrypt' as const, n: 1 << 15, r: 8, p: 1, salt: 'c3RyYXRhLWR1bW15LXNhbHQ=', key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
