import { z } from 'zod';
import { StrataError } from '../../lib/errors.ts';
import type { SecurityMe } from '../../lib/client/types.ts';

/**
 * What a caller may do. Cluster privileges guard the node's own objects; index grants say which indices a caller
 * may read (search, aggregate, tail, see saved searches over them) or ingest into. Roles bundle both; API keys
 * carry index grants only.
 */
export const CLUSTER_PRIVILEGES = [
  /** Use the dashboard: list fields, saved searches, agents. */
  'view',
  /** Create, change and delete saved searches and dashboards. */
  'save_objects',
  'manage_pipelines',
  /** Create indices, change their settings, flush and merge. */
  'manage_indices',
  /** Enrollment tokens, removing agents. */
  'manage_agents',
  /** Users, roles, API keys, the audit log. */
  'manage_security',
  /** The node's Prometheus metrics. */
  'monitor',
] as const;
export type ClusterPrivilege = (typeof CLUSTER_PRIVILEGES)[number];

export const INDEX_ACTIONS = ['read', 'ingest'] as const;
export type IndexAction = (typeof INDEX_ACTIONS)[number];

/** Index names or `*` patterns (`web-*`). */
const IndexPatternSchema = z.string().regex(/^[a-z0-9*][a-z0-9._*-]{0,127}$/, 'an index name or a pattern with * (lower-case letters, digits, ".", "_", "-")');

export const IndexGrantSchema = z
  .object({
    indices: z.array(IndexPatternSchema).min(1).max(100),
    actions: z.array(z.enum(INDEX_ACTIONS)).min(1),
  })
  .strict();
export type IndexGrant = z.infer<typeof IndexGrantSchema>;

export const ROLE_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;

export const RoleSchema = z
  .object({
    name: z.string().regex(ROLE_NAME_RE, 'a role name: lower-case letters, digits, "_" and "-", starting with a letter'),
    /** Defaults to `view` (dashboard use) when the role reads anything. */
    cluster: z.array(z.enum(CLUSTER_PRIVILEGES)).optional(),
    indices: z.array(IndexGrantSchema).max(100).default([]),
    description: z.string().max(500).default(''),
  })
  .strict();
export type Role = z.infer<typeof RoleSchema> & { builtin?: boolean };

export const BUILTIN_ROLES: readonly Role[] = [
  { name: 'admin', builtin: true, cluster: [...CLUSTER_PRIVILEGES], indices: [{ indices: ['*'], actions: ['read', 'ingest'] }], description: 'Everything: users, keys, pipelines, indices, agents.' },
  { name: 'editor', builtin: true, cluster: ['view', 'save_objects', 'manage_pipelines'], indices: [{ indices: ['*'], actions: ['read'] }], description: 'Search, save searches and dashboards, manage pipelines.' },
  { name: 'viewer', builtin: true, cluster: ['view'], indices: [{ indices: ['*'], actions: ['read'] }], description: 'Search and view.' },
];

/**
 * The node's own audit index: written only by the node, read only with `manage_security`, and left out of
 * wildcards (a search of `*` is about the logs people ship) unless the pattern itself starts with its name.
 */
export const AUDIT_INDEX = 'strata-audit';

function globRe(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

/** Who is asking, and what they may do: users (by password or session) and API keys. */
export class Principal {
  private readonly read: RegExp[];
  private readonly ingest: RegExp[];
  readonly cluster: ReadonlySet<ClusterPrivilege>;

  constructor(
    readonly kind: 'user' | 'api_key',
    /** A username, or an API key's id. */
    readonly id: string,
    /** A username, or an API key's name. */
    readonly name: string,
    /** A user's role; null for an API key. */
    readonly role: string | null,
    readonly via: 'basic' | 'session' | 'api_key' | 'none',
    cluster: readonly ClusterPrivilege[],
    grants: readonly IndexGrant[],
  ) {
    this.cluster = new Set(cluster);
    this.read = grants.filter((g) => g.actions.includes('read')).flatMap((g) => g.indices.map(globRe));
    this.ingest = grants.filter((g) => g.actions.includes('ingest')).flatMap((g) => g.indices.map(globRe));
  }

  may(p: ClusterPrivilege): boolean {
    return this.cluster.has(p);
  }

  get readsAny(): boolean {
    return this.read.length > 0;
  }

  get ingestsAny(): boolean {
    return this.ingest.length > 0;
  }

  canRead(index: string): boolean {
    if (index === AUDIT_INDEX) return this.may('manage_security');
    return this.read.some((r) => r.test(index));
  }

  canIngest(index: string): boolean {
    return index !== AUDIT_INDEX && this.ingest.some((r) => r.test(index));
  }

  /**
   * May this caller read everything a search target (`a,web-*`) names? A pattern is covered when one of the
   * caller's read patterns matches it literally: a grant's `*` can stand for a target's `*`, and grant letters
   * cannot, so every name the target matches then matches the grant too.
   */
  canReadTarget(target: string): boolean {
    return target.split(',').every((raw) => {
      const part = raw.trim();
      if (!part.includes('*')) return this.canRead(part);
      return this.read.some((r) => r.test(part));
    });
  }

  /**
   * The filter index resolution applies: a name a wildcard expands to is kept only when readable (and the audit
   * index only for a pattern that names it); a plain name that is not readable is refused outright.
   */
  readFilter(): (name: string, pattern: string | null) => boolean {
    return (name, pattern) => {
      if (pattern !== null) return this.canRead(name) && (name !== AUDIT_INDEX || pattern.startsWith(AUDIT_INDEX));
      if (!this.canRead(name)) throw forbiddenIndex(this, 'read', name);
      return true;
    };
  }

  /** What `GET /api/v1/security/me` answers. */
  toJson(): SecurityMe {
    return { kind: this.kind, id: this.id, name: this.name, role: this.role, authenticated_via: this.via, cluster: [...this.cluster] };
  }
}

export function forbiddenIndex(who: Principal, action: IndexAction, index: string): StrataError {
  const by = who.kind === 'user' ? `user "${who.name}" (role ${who.role})` : `API key "${who.name}"`;
  return new StrataError('forbidden', `${by} may not ${action === 'read' ? 'read' : 'ingest into'} index "${index.slice(0, 140)}"`, { index: index.slice(0, 140), action });
}

export function forbiddenCluster(who: Principal, p: ClusterPrivilege): StrataError {
  const by = who.kind === 'user' ? `user "${who.name}" (role ${who.role})` : `API key "${who.name}"`;
  return new StrataError('forbidden', `${by} lacks the "${p}" privilege this needs`, { privilege: p });
}

/** The caller of a public route (health, sign-in, enrollment): no privileges at all. */
export const ANONYMOUS = new Principal('user', '', 'anonymous', null, 'none', [], []);

export function principalForRole(id: string, role: Role, via: 'basic' | 'session'): Principal {
  const cluster = role.cluster ?? (role.indices.some((g) => g.actions.includes('read')) ? ['view' as const] : []);
  return new Principal('user', id, id, role.name, via, cluster, role.indices);
}
