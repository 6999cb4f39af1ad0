/**
 * The node's HTTP API as the dashboard sees it: request and answer shapes of `/api/v1`. The node's own modules
 * define the same shapes with their validators; these are the wire contract, kept free of server code so that
 * the browser bundle stays small.
 */

export type FieldValue = string | number | boolean;

/** A stored record as search returns it. */
export interface Hit {
  _id: string;
  _index: string;
  '@timestamp': string;
  [field: string]: FieldValue;
}

export interface DateHistogramAgg {
  date_histogram: { interval: string; buckets?: number; split?: { field: string; size?: number } };
}
export interface TermsAgg {
  terms: { field: string; size?: number };
}
export interface StatsAgg {
  stats: { field: string };
}
export type AggSpec = DateHistogramAgg | TermsAgg | StatsAgg;

export interface SearchRequest {
  index: string | string[];
  query?: string;
  from?: string | number;
  to?: string | number;
  size?: number;
  sort?: 'desc' | 'asc';
  search_after?: string | null;
  aggs?: Record<string, AggSpec>;
}

export interface HistogramBucket {
  key: number;
  key_as_string: string;
  doc_count: number;
  split?: { key: FieldValue; doc_count: number }[];
  other?: number;
}
export interface DateHistogramResult {
  interval_ms: number;
  split_keys?: FieldValue[];
  buckets: HistogramBucket[];
}
export interface TermsResult {
  buckets: { key: FieldValue; doc_count: number }[];
  sum_other_doc_count: number;
  missing: number;
}

export interface SearchResponse {
  total: number;
  hits: Hit[];
  next: string | null;
  took_ms: number;
  aggs?: Record<string, unknown>;
}

export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'mixed';
export interface FieldInfo {
  name: string;
  type: FieldType;
}

export interface ContextResponse {
  anchor: Hit;
  /** The fields whose values define "the same source", with the anchor's values. */
  same: Record<string, FieldValue>;
  /** Oldest first, ending just before the anchor. */
  before: Hit[];
  /** Oldest first, starting just after the anchor. */
  after: Hit[];
}

export interface SavedSearchBody {
  name: string;
  query: string;
  index: string;
  from?: string | null;
  to?: string | null;
  columns?: string[];
}
export interface SavedSearch extends Required<SavedSearchBody> {
  id: string;
  created_at: string;
  updated_at: string;
}

export interface IndexInfo {
  index: string;
  shards: { docs: number }[];
}

/** Strata's error answer. */
export interface ErrorBody {
  error: { code: string; message: string; position?: number; reason?: string };
}

/** One of an agent's inputs, as its heartbeat describes it. */
export interface AgentHeartbeatInput {
  type: 'file' | 'stdin' | 'syslog' | 'journald';
  paths?: string[];
  listen?: string;
  protocol?: 'udp' | 'tcp';
}

/**
 * What an agent says about itself in each heartbeat (`POST /api/v1/agents/heartbeat`): the agent sends it, the
 * node validates it (node/agents.ts), the dashboard shows it.
 */
export interface AgentHeartbeatBody {
  id: string;
  name: string;
  version: string;
  host: string;
  /** When this agent process started, ISO 8601. */
  started_at: string;
  /** The agent's heartbeat interval: the node takes it for stale after three of them without a heartbeat. */
  interval_ms: number;
  inputs: AgentHeartbeatInput[];
  status: 'ok' | 'degraded';
  stats: {
    lines_read: number;
    records_shipped: number;
    records_dropped: number;
    batches_retried: number;
    pending_bytes: number;
    lag_bytes: number;
  };
  last_error: string | null;
}

/** An agent as the node lists it: its last heartbeat, when it came, and the health that makes. */
export interface AgentInfo extends AgentHeartbeatBody {
  last_seen: string;
  health: 'healthy' | 'degraded' | 'stale';
}

/** The node's cluster privileges (what `GET /api/v1/security/me` lists in `cluster`). */
export type ClusterPrivilege = 'view' | 'save_objects' | 'manage_pipelines' | 'manage_indices' | 'manage_agents' | 'manage_security' | 'monitor';

/** Who the caller is, as `GET /api/v1/security/me` answers. */
export interface SecurityMe {
  kind: 'user' | 'api_key';
  id: string;
  name: string;
  /** A user's role; null for an API key. */
  role: string | null;
  authenticated_via: 'basic' | 'session' | 'api_key' | 'none';
  cluster: ClusterPrivilege[];
}

/** A dashboard sign-in, as `POST /api/v1/security/sessions` answers it. */
export interface SessionAnswer {
  token: string;
  expires_at: string;
  user: { username: string; role: string };
}

export interface UserInfo {
  username: string;
  role: string;
  created_at: string;
  updated_at: string;
}
export interface NewUserBody {
  username: string;
  password: string;
  role: string;
}

export interface IndexGrant {
  indices: string[];
  actions: ('read' | 'ingest')[];
}

export interface RoleInfo {
  name: string;
  builtin?: boolean;
  cluster?: ClusterPrivilege[];
  indices: IndexGrant[];
  description: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  privileges: IndexGrant[];
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  expired: boolean;
}
export interface NewApiKeyBody {
  name: string;
  privileges: IndexGrant[];
  /** "30d", "12h"; null or absent: until revoked. */
  expires_in?: string | null;
}
/** A new API key: `encoded` is shown this once and never again. */
export interface NewApiKey {
  id: string;
  name: string;
  encoded: string;
  expires_at: string | null;
}

export interface EnrollmentTokenInfo {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  last_used_at: string | null;
  state: 'active' | 'expired' | 'used_up';
}
export interface NewEnrollmentTokenBody {
  name: string;
  /** An agent config as its YAML would hold it; `output.urls` and `registry` may be left out. */
  config: Record<string, unknown>;
  expires_in?: string | null;
  max_uses?: number | null;
}
/** A new enrollment token: `token` is shown this once and never again. */
export interface NewEnrollmentToken {
  id: string;
  token: string;
  name: string;
  expires_at: string | null;
  max_uses: number | null;
}
