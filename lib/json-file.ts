import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { StrataError } from './errors.ts';

/**
 * A small JSON state file of the node (users, keys, saved objects), validated by its schema; null when absent.
 * A file that does not parse is `storage_corrupt` with what removing it would cost, never silently replaced.
 */
export function readJsonFile<T extends z.ZodType>(file: string, schema: T, holds: string, removing: string): z.infer<T> | null {
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StrataError('storage_corrupt', `${file} is not valid JSON (${(e as Error).message}); fix or remove it (removing it ${removing})`, { path: file });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new StrataError('storage_corrupt', `${file} does not hold ${holds} (${parsed.error.issues[0]?.message ?? 'bad shape'}); fix or remove it (removing it ${removing})`, { path: file });
  }
  return parsed.data;
}
