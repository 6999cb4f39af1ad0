import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { durationMs, expiresInSchema, parseConfig } from '../lib/config.ts';
import { writeFileDurable } from '../lib/durable-file.ts';
import { readJsonFile } from '../lib/json-file.ts';
import { ensureDir, StrataError } from '../lib/errors.ts';
import { DEFAULT_REGISTRY, parseAgentConfig } from '../ingest/agent/index.ts';
import type { EnrollmentTokenInfo } from '../lib/client/types.ts';

/**
 * Enrollment tokens: a person asks the node for a token that carries an agent config; a host presents the token
 * (`strata agent enroll`) and gets the config as YAML. The node keeps only each token's SHA-256, in
 * `enrollment-tokens.json`, so that its data directory (or a backup of it) does not hand out working tokens.
 *
 * SHA-256, not a slow hash like scrypt: a slow hash protects secrets people choose, which are few enough to be
 * guessed one by one. A token here is 32 random bytes; no guessing gets near 2^256, so one fast hash is as safe,
 * and checking a token costs microseconds instead of tens of milliseconds of CPU per request.
 */

export const MAX_ENROLLMENT_TOKENS = 1_000;
/**
 * Every token starts with this. A bare base64url token starts with `-` one time in 64, and a command line then
 * reads `--token -…` as a missing argument; the prefix also lets secret scanners recognise a leaked token.
 */
export const ENROLLMENT_TOKEN_PREFIX = 'set_';
/** The config a token carries, as JSON: far above any real agent config, well below a memory worry. */
export const MAX_TOKEN_CONFIG_BYTES = 64 * 1024;

/** What a client sends to create a token. Unknown keys are refused. */
export const EnrollmentTokenBodySchema = z
  .object({
    /** Shown in the token list; not unique. */
    name: z.string().min(1).max(200),
    /**
     * The agent config the token hands out, as the agent's YAML would hold it, except that `output.urls` may be
     * left out (enroll fills in the URL the host enrolled with) and so may `registry` (enroll's --registry, else
     * /var/lib/strata-agent when there is a file input). It is validated now, with those filled in.
     */
    config: z.record(z.string(), z.unknown()),
    /** How long the token works ("24h", "7d"; at most 366 days); null: until revoked. */
    expires_in: expiresInSchema(366).default('24h'),
    /** How many enrollments it allows; null: any number until it expires (a fleet rolled out with one token). */
    max_uses: z.number().int().min(1).max(1_000_000).nullable().default(null),
  })
  .strict();

const StoredSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    /** Hex SHA-256 of the token. */
    token_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    config: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    max_uses: z.number().int().nullable(),
    uses: z.number().int().min(0),
    last_used_at: z.string().nullable(),
  })
  .strict();
type StoredToken = z.infer<typeof StoredSchema>;

const FileSchema = z.object({ version: z.literal(1), enrollment_tokens: z.array(StoredSchema) }).strict();

export type TokenState = EnrollmentTokenInfo['state'];

/** A token as listed: everything but the secret (its hash) and the config (which may hold credentials). */
export type TokenView = EnrollmentTokenInfo;

/** Answered once, at creation: the only time the token itself is seen. */
export interface IssuedToken {
  id: string;
  token: string;
  name: string;
  expires_at: string | null;
  max_uses: number | null;
}

/**
 * A token that does not enroll. One message for every reason (unknown, expired, revoked, used up): telling them
 * apart would tell whoever holds a leaked or guessed token which ones once existed.
 */
export class EnrollmentRefused extends Error {
  constructor() {
    super('the enrollment token was not accepted: it may be mistyped, expired, revoked or used up; ask for a new one');
    this.name = 'EnrollmentRefused';
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function stateOf(t: StoredToken, nowMs: number): TokenState {
  if (t.expires_at !== null && Date.parse(t.expires_at) <= nowMs) return 'expired';
  if (t.max_uses !== null && t.uses >= t.max_uses) return 'used_up';
  return 'active';
}

/** Validates a token's config as the agent will load it once enroll has filled in what it fills in. */
function validateConfig(config: Record<string, unknown>): void {
  const json = JSON.stringify(config);
  if (Buffer.byteLength(json) > MAX_TOKEN_CONFIG_BYTES) {
    throw new StrataError('invalid_config', `the config is ${Buffer.byteLength(json)} bytes as JSON; a token carries at most ${MAX_TOKEN_CONFIG_BYTES}`);
  }
  const filled = JSON.parse(json) as Record<string, unknown>;
  const output = filled.output;
  if (typeof output === 'object' && output !== null && !Array.isArray(output) && !('urls' in output)) (output as Record<string, unknown>).urls = ['http://127.0.0.1:9400'];
  filled.registry ??= DEFAULT_REGISTRY;
  parseAgentConfig(filled, 'enrollment token config (output.urls and registry may be left out)', '/');
}

export class EnrollmentTokenStore {
  private byId = new Map<string, StoredToken>();
  private constructor(private readonly file: string) {}

  static open(dataDir: string): EnrollmentTokenStore {
    ensureDir(dataDir, mkdirSync);
    const store = new EnrollmentTokenStore(join(dataDir, 'enrollment-tokens.json'));
    const data = readJsonFile(store.file, FileSchema, 'enrollment tokens', 'revokes every enrollment token');
    for (const t of data?.enrollment_tokens ?? []) store.byId.set(t.id, t);
    return store;
  }

  /** Issues a token; the answer is the only place it appears. */
  create(input: unknown, nowMs = Date.now()): IssuedToken {
    const body = parseConfig(EnrollmentTokenBodySchema, input, 'enrollment token');
    validateConfig(body.config);
    const next = new Map(this.byId);
    if (next.size >= MAX_ENROLLMENT_TOKENS) {
      // Tokens that can no longer enroll make room first.
      for (const [id, t] of next) if (stateOf(t, nowMs) !== 'active') next.delete(id);
    }
    if (next.size >= MAX_ENROLLMENT_TOKENS) {
      throw new StrataError('conflict', `there are already ${MAX_ENROLLMENT_TOKENS} active enrollment tokens, the most a node keeps; revoke some first`);
    }
    const token = ENROLLMENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    let id: string;
    do id = randomBytes(12).toString('base64url');
    while (next.has(id));
    const t: StoredToken = {
      id,
      name: body.name,
      token_sha256: sha256(token).toString('hex'),
      config: body.config,
      created_at: new Date(nowMs).toISOString(),
      expires_at: body.expires_in === null ? null : new Date(nowMs + durationMs(body.expires_in)).toISOString(),
      max_uses: body.max_uses,
      uses: 0,
      last_used_at: null,
    };
    this.commit(next.set(id, t));
    return { id, token, name: t.name, expires_at: t.expires_at, max_uses: t.max_uses };
  }

  /** Every token, by name (then id), without secrets. */
  list(nowMs = Date.now()): TokenView[] {
    return [...this.byId.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
      .map((t) => ({ id: t.id, name: t.name, created_at: t.created_at, expires_at: t.expires_at, max_uses: t.max_uses, uses: t.uses, last_used_at: t.last_used_at, state: stateOf(t, nowMs) }));
  }

  /** Revokes a token: it is forgotten, and enrolls no more. An unknown id is a 404. */
  revoke(id: string): void {
    if (!this.byId.has(id)) throw new StrataError('not_found', `no enrollment token with id "${id.slice(0, 100)}"`, { id: id.slice(0, 100) });
    const next = new Map(this.byId);
    next.delete(id);
    this.commit(next);
  }

  /**
   * The config for a request's `Authorization: Bearer TOKEN`, as YAML; the use is counted (and written down)
   * before it is answered, so that `max_uses` holds across a crash. Any token that does not enroll throws
   * EnrollmentRefused.
   */
  enroll(authorizationHeader: string | undefined, complete: (config: Record<string, unknown>, token: { id: string; name: string }) => Record<string, unknown> = (c) => c, nowMs = Date.now()): string {
    const m = /^Bearer +([A-Za-z0-9_-]{1,512})\s*$/i.exec(authorizationHeader ?? '');
    if (m === null) throw new EnrollmentRefused();
    const hash = sha256(m[1]);
    let found: StoredToken | null = null;
    // Every stored hash is compared, in constant time each: how long this takes says nothing about the tokens.
    for (const t of this.byId.values()) if (timingSafeEqual(hash, Buffer.from(t.token_sha256, 'hex'))) found = t;
    if (found === null || stateOf(found, nowMs) !== 'active') throw new EnrollmentRefused();
    const used: StoredToken = { ...found, uses: found.uses + 1, last_used_at: new Date(nowMs).toISOString() };
    this.commit(new Map(this.byId).set(used.id, used));
    // The name is the client's text: printed as a JSON string, and printable ASCII only, it cannot end the comment.
    const label = JSON.stringify(used.name).replace(/[^\x20-\x7e]/g, '?');
    return `# Strata agent config from enrollment token ${label} (${used.id}), issued ${used.created_at}\n${stringify(complete(structuredClone(used.config), { id: used.id, name: used.name }))}`;
  }

  /** Written before it is answered: a token a client saw issued (or a use it saw counted) survives a crash. */
  private commit(next: Map<string, StoredToken>): void {
    const list = [...next.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    writeFileDurable(this.file, JSON.stringify({ version: 1, enrollment_tokens: list }, null, 1), 'enrollment tokens');
    this.byId = next;
  }
}
