import { AUDIT_INDEX } from './privileges.ts';

/** What the audit log records. */
export type AuditAction =
  | 'login'
  | 'logout'
  | 'authentication_failed'
  | 'access_denied'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'api_key_used'
  | 'user_created'
  | 'user_changed'
  | 'user_deleted'
  | 'role_changed'
  | 'role_deleted'
  | 'config_changed';

export interface AuditEvent {
  action: AuditAction;
  outcome: 'success' | 'failure';
  /** Who: a username or `api_key:<name>`; for a failed sign-in, the name that was tried. */
  user: string | null;
  /** The client's address. */
  source: string | null;
  /** What it was about: a path, an index, a key's id… */
  target?: string;
  reason?: string;
}

/** Where audit records go: the node's own ingest of NDJSON into an index. */
export type AuditSink = (index: string, ndjson: string) => Promise<void>;

const FLUSH_MS = 500;
const MAX_BUFFERED = 10_000;

/**
 * The audit log: an index of its own (`strata-audit`), written by the node alone and read only with
 * `manage_security`. Events are batched for half a second, so that auditing costs one durable write per batch
 * rather than per request; an event that cannot be stored is reported in the node log, never dropped silently.
 */
export class AuditLog {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** API keys whose use was recorded recently: one `api_key_used` per key per window, not per request. */
  private recentKeyUse = new Map<string, number>();

  constructor(private readonly sink: AuditSink, private readonly log: (m: string) => void, private readonly keyUseWindowMs = 10 * 60_000) {}

  record(e: AuditEvent, nowMs = Date.now()): void {
    const message = `${e.action} ${e.outcome}${e.user ? ` by ${e.user}` : ''}${e.source ? ` from ${e.source}` : ''}${e.target ? ` on ${e.target}` : ''}${e.reason ? `: ${e.reason}` : ''}`;
    const rec: Record<string, unknown> = { '@timestamp': new Date(nowMs).toISOString(), message, 'event.action': e.action, 'event.outcome': e.outcome };
    if (e.user) rec['user.name'] = e.user;
    if (e.source) rec['source.ip'] = e.source;
    if (e.target) rec['event.target'] = e.target;
    if (e.reason) rec['event.reason'] = e.reason;
    if (this.buffer.length >= MAX_BUFFERED) {
      this.log(`audit: ${MAX_BUFFERED} events waiting to be stored; logging instead: ${message}`);
      return;
    }
    this.buffer.push(JSON.stringify(rec));
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Records an API key's use at most once per window. */
  keyUsed(keyId: string, keyName: string, source: string | null, nowMs = Date.now()): void {
    const last = this.recentKeyUse.get(keyId);
    if (last !== undefined && nowMs - last < this.keyUseWindowMs) return;
    if (this.recentKeyUse.size > 10_000) this.recentKeyUse.clear();
    this.recentKeyUse.set(keyId, nowMs);
    this.record({ action: 'api_key_used', outcome: 'success', user: `api_key:${keyName}`, source, target: keyId }, nowMs);
  }

  /** Stores what is buffered; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lines = this.buffer;
    this.buffer = [];
    if (lines.length > 0) {
      this.writing = this.writing.then(() =>
        this.sink(AUDIT_INDEX, lines.join('\n')).catch((e: unknown) => this.log(`audit: could not store ${lines.length} events (${(e as Error).message}); they were: ${lines.join(' ')}`)),
      );
    }
    return this.writing;
  }
}
