import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiKeyInfo, NewApiKey } from '../../lib/client/types.ts';
import { durationMs, expiresInSchema, parseConfig } from '../../lib/config.ts';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { ensureDir, StrataError } from '../../lib/errors.ts';
import { readJsonFile } from '../../lib/json-file.ts';
import { IndexGrantSchema } from './privileges.ts';

/**
 * API keys for agents, shippers and scripts: 32 random bytes, kept as their SHA-256 only (a key is not a person's
 * choice, so a fast hash is as safe as a slow one and costs microseconds per request). A client sends
 * `Authorization: ApiKey <encoded>`, where encoded is base64 of `id:secret`, as Elasticsearch's clients send theirs.
 */
export const MAX_API_KEYS = 10_000;

export const ApiKeyBodySchema = z
  .object({
    name: z.string().min(1).max(200),
    /** What the key may do: `[{ "indices": ["web-*"], "actions": ["ingest"] }]`. */
    privileges: z.array(IndexGrantSchema).min(1).max(100),
    /** "30d", "12h"; absent or null: until revoked. */
    expires_in: expiresInSchema(3660).default(null),
  })
  .strict();

const StoredKeySchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    key_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    privileges: z.array(IndexGrantSchema),
    created_by: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable().default(null),
  })
  .strict();
export type StoredApiKey = z.infer<typeof StoredKeySchema>;
const FileSchema = z.object({ version: z.literal(1), api_keys: z.array(StoredKeySchema) }).strict();

/** A key as listed: never its secret or hash. */
export type ApiKeyView = ApiKeyInfo;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** `id:secret` from an `ApiKey`/`Bearer` credential; null when it has not that shape. */
export function decodeApiKey(encoded: string): { id: string; secret: string } | null {
  if (!/^[A-Za-z0-9+/=_-]{1,400}$/.test(encoded)) return null;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const m = /^([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]{1,128})$/.exec(text);
  return m ? { id: m[1], secret: m[2] } : null;
}

export class ApiKeyStore {
  private byId = new Map<string, StoredApiKey>();
  private constructor(private readonly file: string) {}

  static open(dir: string): ApiKeyStore {
    ensureDir(dir, mkdirSync);
    const s = new ApiKeyStore(join(dir, 'api-keys.json'));
    for (const k of readJsonFile(s.file, FileSchema, 'API keys', 'revokes every API key')?.api_keys ?? []) s.byId.set(k.id, k);
    return s;
  }

  /** Issues a key; the answer is the only place its secret appears. */
  create(input: unknown, createdBy: string, nowMs = Date.now()): NewApiKey {
    const body = parseConfig(ApiKeyBodySchema, input, 'API key');
    if (this.byId.size >= MAX_API_KEYS) throw new StrataError('conflict', `there are already ${MAX_API_KEYS} API keys; revoke some first`);
    let id: string;
    do id = randomBytes(12).toString('base64url');
    while (this.byId.has(id));
    const secret = randomBytes(32).toString('base64url');
    const k: StoredApiKey = {
      id,
      name: body.name,
      key_sha256: sha256(secret).toString('hex'),
      privileges: body.privileges,
      created_by: createdBy,
      created_at: new Date(nowMs).toISOString(),
      expires_at: body.expires_in === null ? null : new Date(nowMs + durationMs(body.expires_in)).toISOString(),
      last_used_at: null,
    };
    this.commit(new Map(this.byId).set(id, k));
    return { id, name: k.name, encoded: Buffer.from(`${id}:${secret}`).toString('base64'), expires_at: k.expires_at };
  }

  list(nowMs = Date.now()): ApiKeyView[] {
    return [...this.byId.values()]
      .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1))
      .map(({ key_sha256: _h, ...k }) => ({ ...k, expired: k.expires_at !== null && Date.parse(k.expires_at) <= nowMs }));
  }

  revoke(id: string): StoredApiKey {
    const k = this.byId.get(id);
    if (!k) throw new StrataError('not_found', `no API key with id "${id.slice(0, 100)}"`);
    const next = new Map(this.byId);
    next.delete(id);
    this.commit(next);
    return k;
  }

  /**
   * The key an encoded credential proves, or null (unknown, wrong secret, expired, revoked: one answer). Its use
   * is noted in memory and written with the next change, not on every request.
   */
  verify(id: string, secret: string, nowMs = Date.now()): StoredApiKey | null {
    const k = this.byId.get(id);
    if (!k) return null;
    const a = sha256(secret);
    const b = Buffer.from(k.key_sha256, 'hex');
    if (!timingSafeEqual(a, b)) return null;
    if (k.expires_at !== null && Date.parse(k.expires_at) <= nowMs) return null;
    k.last_used_at = new Date(nowMs).toISOString();
    return k;
  }

  private commit(next: Map<string, StoredApiKey>): void {
    writeFileDurable(this.file, JSON.stringify({ version: 1, api_keys: [...next.values()] }, null, 2), 'API keys', { mode: 0o600 });
    this.byId = next;
  }
}
