import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { StrataError } from '../../lib/errors.ts';

/**
 * Globs for file inputs: `*`, `?`, `[a-z]`/`[!a-z]`, `{a,b}` and `**` (any depth of directories), matched per path
 * component as a shell does: `*` never crosses a `/`, and names starting with `.` are matched only by a pattern
 * that starts with `.`. Node 20 has no `fs.glob`; the agent needs only this much, and no dependency for it.
 */

type Part = { kind: 'literal'; name: string } | { kind: 'pattern'; re: RegExp } | { kind: 'globstar' };

export interface Glob {
  source: string;
  /** The directory where matching starts: the longest leading run of literal components. */
  root: string;
  parts: Part[];
}

/** Expands `{a,b}` alternatives into separate patterns (nested braces included). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{' && depth++ === 0) open = i;
    else if (c === '}' && depth > 0 && --depth === 0) {
      const alts = splitTopLevel(pattern.slice(open + 1, i));
      if (alts.length < 2) continue;
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      return alts.flatMap((a) => expandBraces(head + a + tail));
    }
  }
  return [pattern];
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  out.push(s.slice(from));
  return out;
}

const MAGIC = /[*?[\\]/;

/** One path component's pattern as a regular expression, or null when it has no wildcard. */
export function componentRegExp(component: string): RegExp | null {
  if (!MAGIC.test(component)) return null;
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i];
    if (c === '\\' && i + 1 < component.length) re += escapeRe(component[++i]);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = component.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = component.slice(i + 1, close);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      i = close;
    } else re += escapeRe(c);
  }
  // A leading dot is matched only explicitly, as in a shell: `*.log` must not read `.hidden.log`.
  const dotGuard = component[0] === '.' ? '' : '(?!\\.)';
  return new RegExp(`^${dotGuard}${re}$`);
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? '\\' + c : c;
}

/** Compiles one absolute pattern (without braces; see expandBraces). */
export function compileGlob(pattern: string): Glob {
  if (!pattern.startsWith('/')) throw new StrataError('invalid_config', `the path pattern "${pattern}" must be absolute`);
  const comps = pattern.split('/').filter((c) => c !== '');
  const parts: Part[] = comps.map((c) => {
    if (c === '**') return { kind: 'globstar' };
    const re = componentRegExp(c);
    return re ? { kind: 'pattern', re } : { kind: 'literal', name: c.replace(/\\(.)/g, '$1') };
  });
  let k = 0;
  while (k < parts.length - 1 && parts[k].kind === 'literal') k++;
  const root = '/' + parts.slice(0, k).map((p) => (p as { name: string }).name).join('/');
  return { source: pattern, root, parts: parts.slice(k) };
}

/** Whether a file name matches one of the name globs (used for `exclude`). */
export function nameMatcher(globs: string[]): (name: string) => boolean {
  const res = globs.flatMap(expandBraces).map((g) => componentRegExp(g) ?? new RegExp(`^${[...g].map(escapeRe).join('')}$`));
  return (name) => res.some((re) => re.test(name));
}

/**
 * Regular files matching the glob (symbolic links to files included). Directories reached through `**` are not
 * followed when they are symbolic links, so a link loop cannot make a scan endless. A directory that cannot be
 * read is reported through `onError` and skipped: one unreadable directory must not stop the others.
 */
export async function expandGlob(g: Glob, onError: (path: string, e: NodeJS.ErrnoException) => void): Promise<string[]> {
  const out: string[] = [];
  await walk(g.root, g.parts, 0, out, onError);
  return out;
}

async function walk(dir: string, parts: Part[], i: number, out: string[], onError: (path: string, e: NodeJS.ErrnoException) => void): Promise<void> {
  const part = parts[i];
  const last = i === parts.length - 1;
  if (part.kind === 'literal') {
    const path = join(dir, part.name);
    if (last) {
      if (await isFile(path)) out.push(path);
    } else await walk(path, parts, i + 1, out, onError);
    return;
  }
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') onError(dir, err);
    return;
  }
  if (part.kind === 'globstar') {
    // `**` matches no directory at all, too.
    if (last) return;
    await walk(dir, parts, i + 1, out, onError);
    for (const e of entries) if (e.isDirectory() && e.name[0] !== '.') await walk(child(dir, e.name), parts, i, out, onError);
    return;
  }
  for (const e of entries) {
    if (!part.re.test(e.name)) continue;
    const path = child(dir, e.name);
    if (last) {
      if (e.isFile() || (e.isSymbolicLink() && (await isFile(path)))) out.push(path);
    } else if (e.isDirectory() || e.isSymbolicLink()) await walk(path, parts, i + 1, out, onError);
  }
}

function child(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A whole-path matcher for one pattern (without braces): whether a file found elsewhere would be matched. */
export function pathRegExp(pattern: string): RegExp {
  let re = '';
  for (const c of pattern.split('/').filter((x) => x !== '')) {
    if (c === '**') re += '(?:/(?!\\.)[^/]+)*';
    else {
      const r = componentRegExp(c);
      re += '/' + (r ? r.source.slice(1, -1) : [...c.replace(/\\(.)/g, '$1')].map(escapeRe).join(''));
    }
  }
  return new RegExp(`^${re}$`);
}
