import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { StrataError } from '../../lib/errors.ts';
import { ApiKeyStore, decodeApiKey } from './api-keys.ts';
import { AuditLog, type AuditSink } from './audit.ts';
import { FailureLimiter } from './limiter.ts';
import { ANONYMOUS, type ClusterPrivilege, forbiddenCluster, Principal, principalForRole } from './privileges.ts';
import { RoleStore } from './roles.ts';
import { SESSION_PREFIX, SessionStore } from './sessions.ts';
import { UserStore } from './users.ts';

export { ANONYMOUS, AUDIT_INDEX, CLUSTER_PRIVILEGES, forbiddenIndex, Principal, type ClusterPrivilege } from './privileges.ts';
export { FailureLimiter } from './limiter.ts';

/**
 * What a route needs from its caller. `read` and `ingest` routes narrow to the indices the caller may use
 * (and refuse callers who may use none); a cluster privilege guards the node's own objects.
 */
export type Access = 'public' | 'authenticated' | 'read' | 'ingest' | ClusterPrivilege;

export interface SecurityOptions {
  sessionTtlMs: number;
  /** Failed sign-ins of one username from one address within the window, before 429. */
  loginFailureLimit: number;
  loginFailureWindowMs: number;
  /** Failed credentials of any kind from one address per minute, before 429. */
  authFailuresPerMinute: number;
}

const MAX_AUTH_HEADER = 8 * 1024;
const CACHE_MS = 5 * 60_000;
const MAX_CACHED = 1_000;
const CHALLENGE = 'Basic realm="strata", ApiKey, Bearer';

export function unauthorized(message: string): StrataError {
  return new StrataError('unauthorized', message, { challenge: CHALLENGE });
}

/**
 * The client's address: the socket's peer, or, for a request the dashboard forwards on the same host, the first
 * address of X-Forwarded-For (only a loopback peer is trusted to say where a request came from).
 */
export function clientAddress(req: IncomingMessage): string {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const fwd = req.headers['x-forwarded-for'];
  if ((peer === '127.0.0.1' || peer === '::1') && typeof fwd === 'string') {
    const first = fwd.split(',')[0].trim().replace(/^::ffff:/, '');
    if (isIP(first)) return first;
  }
  return peer || 'unknown';
}

/** The node's security: who a request comes from, what they may do, sign-in, and the audit log. */
export class Security {
  private cache = new Map<string, { who: Principal; gen: string; until: number }>();
  private checking = new Map<string, Promise<Principal>>();
  /** A key's privileges never change, so its principal (with its compiled patterns) is built once, not per request. */
  private keyPrincipals = new Map<string, Principal>();
  private readonly logins: FailureLimiter;
  /** Per username from any address: X-Forwarded-For can be forged, so a username alone is limited too (looser). */
  private readonly accounts: FailureLimiter;
  private readonly addresses: FailureLimiter;

  private constructor(
    readonly users: UserStore,
    readonly roles: RoleStore,
    readonly apiKeys: ApiKeyStore,
    readonly sessions: SessionStore,
    readonly audit: AuditLog,
    opts: SecurityOptions,
  ) {
    this.logins = new FailureLimiter(opts.loginFailureLimit, opts.loginFailureWindowMs);
    this.accounts = new FailureLimiter(4 * opts.loginFailureLimit, opts.loginFailureWindowMs);
    this.addresses = new FailureLimiter(opts.authFailuresPerMinute, 60_000);
  }

  /**
   * Opens the security state under `dataDir/security`. At first start it creates the `admin` user (password from
   * `STRATA_PASSWORD`, else generated) and logs the password once: the only time it is ever shown.
   */
  static async open(dataDir: string, opts: SecurityOptions, sink: AuditSink, log: (m: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<Security> {
    const dir = join(dataDir, 'security');
    const roles = RoleStore.open(dir);
    const users = UserStore.open(dir, (r) => roles.get(r) !== null);
    const s = new Security(users, roles, ApiKeyStore.open(dir), SessionStore.open(dir, opts.sessionTtlMs), new AuditLog(sink, log), opts);
    const created = await users.bootstrap(env.STRATA_PASSWORD);
    if (created?.generated) {
      log(
        `security: created the "admin" user with password ${created.password}\n` +
          `          (shown only now: copy it; set a new one with \`strata users passwd admin --data-dir ${dataDir}\`)`,
      );
    } else if (created) {
      log('security: created the "admin" user with the password in STRATA_PASSWORD');
    }
    return s;
  }

  /** Who sent the request, proven by its Authorization header; throws 401 (or 429 after repeated failures). */
  async authenticate(req: IncomingMessage): Promise<Principal> {
    const header = req.headers.authorization;
    const source = clientAddress(req);
    if (header === undefined || header === '') throw unauthorized('this needs credentials: send Authorization: ApiKey <key>, Basic <user:password> or Bearer <token>');
    if (header.length > MAX_AUTH_HEADER) return this.failed(source, null, 'credentials too long');
    const m = /^([A-Za-z]+) +(\S+)\s*$/.exec(header);
    if (!m) return this.failed(source, null, 'malformed Authorization header');
    const scheme = m[1].toLowerCase();
    const value = m[2];
    if (scheme === 'basic') return this.basic(value, source);
    if (scheme === 'bearer' && value.startsWith(SESSION_PREFIX)) return this.session(value, source);
    if (scheme === 'apikey' || scheme === 'bearer') {
      const key = decodeApiKey(value);
      const k = key && this.apiKeys.verify(key.id, key.secret);
      if (!k) return this.failed(source, null, 'unknown, revoked or expired API key');
      this.audit.keyUsed(k.id, k.name, source);
      let who = this.keyPrincipals.get(k.id);
      if (!who) {
        if (this.keyPrincipals.size >= MAX_CACHED) this.keyPrincipals.clear();
        who = new Principal('api_key', k.id, k.name, null, 'api_key', [], k.privileges);
        this.keyPrincipals.set(k.id, who);
      }
      return who;
    }
    return this.failed(source, null, `unsupported authentication scheme "${m[1].slice(0, 20)}"`);
  }

  /** Throws unless `who` may use a route that needs `access`. */
  authorize(access: Access, who: Principal): void {
    if (access === 'public' || access === 'authenticated') return;
    if (access === 'read') {
      if (!who.readsAny) throw new StrataError('forbidden', `${describe(who)} may not read any index`);
      return;
    }
    if (access === 'ingest') {
      if (!who.ingestsAny) throw new StrataError('forbidden', `${describe(who)} may not ingest into any index`);
      return;
    }
    if (!who.may(access)) throw forbiddenCluster(who, access);
  }

  /** Signs a user in for the dashboard: a session token, or 401 / 429. */
  async login(username: unknown, password: unknown, source: string): Promise<{ token: string; expires_at: string; user: { username: string; role: string } }> {
    if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
      throw new StrataError('invalid_request', 'send {"username": "…", "password": "…"}');
    }
    const name = username.slice(0, 64);
    this.refuseIfLimited(`addr:${source}`, this.addresses);
    this.refuseIfLimited(`login:${name}@${source}`, this.logins);
    this.refuseIfLimited(`account:${name}`, this.accounts);
    const u = await this.users.verify(name, password);
    if (!u || this.roles.get(u.role) === null) {
      this.logins.fail(`login:${name}@${source}`);
      this.accounts.fail(`account:${name}`);
      this.addresses.fail(`addr:${source}`);
      this.audit.record({ action: 'login', outcome: 'failure', user: name, source, reason: 'wrong username or password' });
      throw unauthorized('wrong username or password');
    }
    const s = this.sessions.create(u.username);
    this.audit.record({ action: 'login', outcome: 'success', user: u.username, source });
    return { ...s, user: { username: u.username, role: u.role } };
  }

  private async basic(value: string, source: string): Promise<Principal> {
    const text = Buffer.from(value, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) return this.failed(source, null, 'malformed Basic credentials');
    const username = text.slice(0, colon).slice(0, 64);
    const password = text.slice(colon + 1);
    this.users.reloadIfChanged();
    const gen = `${this.users.generation}/${this.roles.generation}`;
    // Verified Basic credentials are remembered (by their hash) for a few minutes: scrypt on every request of a
    // shipper would cost a core. A changed user or role file invalidates them all.
    const cacheKey = createHash('sha256').update(value).digest('base64');
    const hit = this.cache.get(cacheKey);
    if (hit && hit.gen === gen && hit.until > Date.now()) return hit.who;
    // Only guesses are limited: a password not yet verified is not checked while its address or its username
    // there has failed too often. Keys, sessions and passwords already verified keep working meanwhile.
    // A shipper's concurrent requests with one credential share one check: each scrypt takes a libuv thread,
    // which fsync needs too.
    const running = this.checking.get(cacheKey);
    if (running) return running;
    this.refuseIfLimited(`addr:${source}`, this.addresses);
    this.refuseIfLimited(`login:${username}@${source}`, this.logins);
    this.refuseIfLimited(`account:${username}`, this.accounts);
    const check = this.checkPassword(username, password, source, cacheKey).finally(() => this.checking.delete(cacheKey));
    this.checking.set(cacheKey, check);
    return check;
  }

  private async checkPassword(username: string, password: string, source: string, cacheKey: string): Promise<Principal> {
    const u = await this.users.verify(username, password);
    const role = u && this.roles.get(u.role);
    if (!u || !role) {
      this.logins.fail(`login:${username}@${source}`);
      this.accounts.fail(`account:${username}`);
      return this.failed(source, username, 'wrong username or password');
    }
    const who = principalForRole(u.username, role, 'basic');
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(cacheKey, { who, gen: `${this.users.generation}/${this.roles.generation}`, until: Date.now() + CACHE_MS });
    return who;
  }

  private session(token: string, source: string): Principal {
    const s = this.sessions.lookup(token, (name) => this.users.get(name)?.password_changed_at ?? null);
    const u = s && this.users.get(s.username);
    const role = u && this.roles.get(u.role);
    if (!u || !role) return this.failed(source, null, 'the session has ended; sign in again');
    return principalForRole(u.username, role, 'session');
  }

  /**
   * A failed credential: counted against its address and audited. Past the address's limit, the answer is 429:
   * whoever is trying keys or tokens at random is told to slow down (and the audit log is not flooded).
   */
  private failed(source: string, user: string | null, reason: string): never {
    const key = `addr:${source}`;
    this.refuseIfLimited(key, this.addresses);
    this.addresses.fail(key);
    this.audit.record({ action: 'authentication_failed', outcome: 'failure', user, source, reason });
    throw unauthorized(reason);
  }

  private refuseIfLimited(key: string, limiter: FailureLimiter): void {
    const wait = limiter.retryAfterS(key);
    if (wait > 0) throw new StrataError('rate_limited', `too many failed sign-ins; retry in ${wait} s`, { retryAfterS: wait });
  }
}

/** How the audit log names a caller. */
export function actor(who: Principal): string | null {
  if (who === ANONYMOUS) return null;
  return who.kind === 'user' ? who.name : `api_key:${who.name}`;
}

export function describe(who: Principal): string {
  return who.kind === 'user' ? `user "${who.name}" (role ${who.role})` : `API key "${who.name}"`;
}
