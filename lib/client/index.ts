/**
 * The one typed client of a Strata node's HTTP API. The dashboard talks to nodes only through it: in the browser
 * against its own origin (the dashboard forwards `/api/v1` to the node), elsewhere against a node URL.
 */
import type {
  AgentInfo,
  ApiKeyInfo,
  ContextResponse,
  EnrollmentTokenInfo,
  ErrorBody,
  FieldInfo,
  IndexInfo,
  NewApiKey,
  NewApiKeyBody,
  NewEnrollmentToken,
  NewEnrollmentTokenBody,
  NewUserBody,
  RoleInfo,
  SavedSearch,
  SavedSearchBody,
  SearchRequest,
  SearchResponse,
  SecurityMe,
  UserInfo,
} from './types.ts';

export type * from './types.ts';

/** An error the node answered (or a failure to reach it), with what the user needs to act on it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For an invalid query: the 0-based position of the character that broke the parse. */
    readonly position?: number,
    /** For an invalid query: the message without its position. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface StrataClientOptions {
  /**
   * Called when the node answers 401: in the dashboard the session cookie has expired or was ended elsewhere,
   * and the page sends the user to sign in again.
   */
  onUnauthorized?: () => void;
}

export class StrataClient {
  /** `base` is a node URL, or '' for the page's own origin. */
  constructor(
    private readonly base = '',
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
    private readonly options: StrataClientOptions = {},
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'unreachable', `cannot reach the Strata node: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_answer', `the node answered ${res.status} with something other than JSON`);
    }
    if (res.status === 401) this.options.onUnauthorized?.();
    if (!res.ok) {
      const err = (json as Partial<ErrorBody>).error;
      throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `the node answered ${res.status}`, err?.position, err?.reason);
    }
    return json as T;
  }

  search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
    return this.call('POST', '/api/v1/search', req, signal);
  }

  async fields(index: string, signal?: AbortSignal): Promise<FieldInfo[]> {
    return (await this.call<{ fields: FieldInfo[] }>('GET', `/api/v1/fields?index=${encodeURIComponent(index)}`, undefined, signal)).fields;
  }

  async indices(signal?: AbortSignal): Promise<IndexInfo[]> {
    return (await this.call<{ indices: IndexInfo[] }>('GET', '/api/v1/indices', undefined, signal)).indices;
  }

  /** Records from the same source just before and after a hit. */
  context(hit: { _index: string; _id: string }, size: number, fields?: string[], signal?: AbortSignal): Promise<ContextResponse> {
    const q = new URLSearchParams({ index: hit._index, id: hit._id, size: String(size) });
    if (fields && fields.length > 0) q.set('fields', fields.join(','));
    return this.call('GET', `/api/v1/context?${q}`, undefined, signal);
  }

  async savedSearches(signal?: AbortSignal): Promise<SavedSearch[]> {
    return (await this.call<{ saved_searches: SavedSearch[] }>('GET', '/api/v1/saved_searches', undefined, signal)).saved_searches;
  }
  createSavedSearch(body: SavedSearchBody): Promise<SavedSearch> {
    return this.call('POST', '/api/v1/saved_searches', body);
  }
  updateSavedSearch(id: string, body: SavedSearchBody): Promise<SavedSearch> {
    return this.call('PUT', `/api/v1/saved_searches/${encodeURIComponent(id)}`, body);
  }
  async deleteSavedSearch(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/saved_searches/${encodeURIComponent(id)}`);
  }

  /** The agents that sent heartbeats to the node, with their health. */
  async agents(signal?: AbortSignal): Promise<AgentInfo[]> {
    return (await this.call<{ agents: AgentInfo[] }>('GET', '/api/v1/agents', undefined, signal)).agents;
  }

  /** Who the caller is, and the cluster privileges that decide which controls the dashboard shows. */
  me(signal?: AbortSignal): Promise<SecurityMe> {
    return this.call('GET', '/api/v1/security/me', undefined, signal);
  }

  async users(signal?: AbortSignal): Promise<UserInfo[]> {
    return (await this.call<{ users: UserInfo[] }>('GET', '/api/v1/security/users', undefined, signal)).users;
  }
  createUser(body: NewUserBody): Promise<UserInfo> {
    return this.call('POST', '/api/v1/security/users', body);
  }
  async deleteUser(username: string): Promise<void> {
    await this.call('DELETE', `/api/v1/security/users/${encodeURIComponent(username)}`);
  }
  async roles(signal?: AbortSignal): Promise<RoleInfo[]> {
    return (await this.call<{ roles: RoleInfo[] }>('GET', '/api/v1/security/roles', undefined, signal)).roles;
  }

  async apiKeys(signal?: AbortSignal): Promise<ApiKeyInfo[]> {
    return (await this.call<{ api_keys: ApiKeyInfo[] }>('GET', '/api/v1/security/api_keys', undefined, signal)).api_keys;
  }
  /** Issues a key; the answer is the only time its secret (`encoded`) is seen. */
  createApiKey(body: NewApiKeyBody): Promise<NewApiKey> {
    return this.call('POST', '/api/v1/security/api_keys', body);
  }
  async revokeApiKey(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/security/api_keys/${encodeURIComponent(id)}`);
  }

  async enrollmentTokens(signal?: AbortSignal): Promise<EnrollmentTokenInfo[]> {
    return (await this.call<{ enrollment_tokens: EnrollmentTokenInfo[] }>('GET', '/api/v1/agents/enrollment_tokens', undefined, signal)).enrollment_tokens;
  }
  /** Issues a token; the answer is the only time the token is seen. */
  createEnrollmentToken(body: NewEnrollmentTokenBody): Promise<NewEnrollmentToken> {
    return this.call('POST', '/api/v1/agents/enrollment_tokens', body);
  }
  async revokeEnrollmentToken(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/agents/enrollment_tokens/${encodeURIComponent(id)}`);
  }

  /** The server-sent events URL of a live tail (for `EventSource`). */
  tailUrl(index: string, query: string): string {
    return `${this.base}/api/v1/tail?${new URLSearchParams({ index, query })}`;
  }
}
