import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../lib/config.ts';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { ensureDir, StrataError } from '../../lib/errors.ts';
import { readJsonFile } from '../../lib/json-file.ts';
import { BUILTIN_ROLES, type Role, RoleSchema } from './privileges.ts';

const FileSchema = z.object({ version: z.literal(1), roles: z.array(RoleSchema) }).strict();
export const MAX_ROLES = 1_000;

/** Custom roles (`security/roles.json`) beside the built-in admin, editor and viewer. */
export class RoleStore {
  private custom = new Map<string, Role>();
  /** Bumped on every change, so caches of verified credentials can tell they are stale. */
  generation = 0;
  private constructor(private readonly file: string) {}

  static open(dir: string): RoleStore {
    ensureDir(dir, mkdirSync);
    const s = new RoleStore(join(dir, 'roles.json'));
    for (const r of readJsonFile(s.file, FileSchema, 'Strata roles', 'deletes every custom role; users holding one can no longer sign in')?.roles ?? []) s.custom.set(r.name, r);
    return s;
  }

  get(name: string): Role | null {
    return BUILTIN_ROLES.find((r) => r.name === name) ?? this.custom.get(name) ?? null;
  }

  list(): Role[] {
    return [...BUILTIN_ROLES, ...[...this.custom.values()].sort((a, b) => (a.name < b.name ? -1 : 1))];
  }

  /** Creates or replaces a custom role. */
  put(input: unknown): Role {
    const role = parseConfig(RoleSchema, input, 'role');
    if (BUILTIN_ROLES.some((r) => r.name === role.name)) throw new StrataError('conflict', `"${role.name}" is a built-in role and cannot change`);
    if (!this.custom.has(role.name) && this.custom.size >= MAX_ROLES) throw new StrataError('conflict', `there are already ${MAX_ROLES} custom roles; delete some first`);
    this.commit(new Map(this.custom).set(role.name, role));
    return role;
  }

  delete(name: string, inUse: (role: string) => boolean): void {
    if (BUILTIN_ROLES.some((r) => r.name === name)) throw new StrataError('conflict', `"${name}" is a built-in role and cannot be deleted`);
    if (!this.custom.has(name)) throw new StrataError('not_found', `no role named "${name.slice(0, 70)}"`);
    if (inUse(name)) throw new StrataError('conflict', `users still hold role "${name}"; give them another role first`);
    const next = new Map(this.custom);
    next.delete(name);
    this.commit(next);
  }

  private commit(next: Map<string, Role>): void {
    writeFileDurable(this.file, JSON.stringify({ version: 1, roles: [...next.values()] }, null, 2), 'roles', { mode: 0o600 });
    this.custom = next;
    this.generation++;
  }
}
