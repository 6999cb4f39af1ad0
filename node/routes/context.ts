import { StrataError } from '../../lib/errors.ts';
import { shardOfId } from '../../lib/id-hash.ts';
import { type FieldValue, type Fields, recordId } from '../../lib/record.ts';
import { findRecordAt, findRecordById, MAX_QUERY_LENGTH, type ShardCandidate, tokenize } from '../../indexer/index.ts';
import { candidateHitJson, encodeCursor, type Hit, type IndexHandle, validateIndexName } from '../../shards/index.ts';
import type { Engine } from '../engine.ts';
import { sendJsonText } from '../http.ts';
import type { Route, RouteContext } from './types.ts';

/** Fields that name where a line came from, in the order they are tried when the request names none. */
export const SOURCE_FIELDS = ['log.file.path', 'source', 'file', 'host.name', 'host', 'hostname', 'service', 'service.name', 'app', 'container.name'] as const;
export const CONTEXT_DEFAULT_SIZE = 10;
export const CONTEXT_MAX_SIZE = 500;
/**
 * Records read per side at most while skipping those a phrase matched but whose value is not exactly equal
 * (`host:"web-1"` also matches "web-1b"): a bound on the work of one request, reached only when such near misses
 * crowd the neighbourhood.
 */
export const CONTEXT_MAX_EXAMINED = 50_000;
/** Field names the query language can spell; others are matched by the exact filter alone. */
const QUERY_FIELD_RE = /^[A-Za-z_@][A-Za-z0-9_.@-]*$/;
/** Longer values are matched by presence in the query and by the exact filter, keeping the query short. */
const MAX_PHRASE_CHARS = 1024;

interface Anchor {
  handle: IndexHandle;
  shard: number;
  c: ShardCandidate;
  fields: Fields;
}

function param(url: URL, name: string): string | null {
  const v = url.searchParams.get(name);
  return v === null || v === '' ? null : v;
}

function intParam(url: URL, name: string, dflt: number, max: number): number {
  const v = param(url, name);
  if (v === null) return dflt;
  if (!/^\d{1,15}$/.test(v) || Number(v) > max) throw new StrataError('invalid_request', `"${name}" must be an integer from 0 to ${max}, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

/**
 * The record a hit names: by `shard` and `offset`, or by its `_id` as search answered it (the sender's own id, or
 * the generated `SHARD-OFFSET` of a record that has none).
 */
function findAnchor(h: IndexHandle, url: URL): Anchor | null {
  const at = (shard: number, offset: number): Anchor | null => {
    if (shard >= h.shards.length) return null;
    const c = findRecordAt(h.shards[shard].view(), offset);
    return c && { handle: h, shard, c, fields: c.fields ?? c.seg!.doc(c.doc) };
  };
  const id = param(url, 'id');
  if (id === null) {
    if (param(url, 'shard') === null || param(url, 'offset') === null) throw new StrataError('invalid_request', 'name the record with "id" (a hit\'s _id), or with "shard" and "offset"');
    return at(intParam(url, 'shard', 0, 1023), intParam(url, 'offset', 0, Number.MAX_SAFE_INTEGER));
  }
  // A sender's id first: it is what search shows for a record that has one, whatever it looks like.
  const home = shardOfId(id, h.shards.length);
  for (let k = 0; k < h.shards.length; k++) {
    const shard = (home + k) % h.shards.length;
    const c = findRecordById(h.shards[shard].view(), id);
    if (c) return { handle: h, shard, c, fields: c.fields ?? c.seg!.doc(c.doc) };
  }
  const m = /^(\d{1,4})-(\d{1,15})$/.exec(id);
  if (!m) return null;
  const a = at(Number(m[1]), Number(m[2]));
  // A record with an id of its own is never shown under its generated one.
  return a && recordId(a.fields) === null ? a : null;
}

/** The anchor's values of the chosen fields; null for a named field the anchor lacks (its neighbours lack it too). */
function sameValues(anchor: Fields, url: URL): Record<string, FieldValue | null> {
  const listed = url.searchParams.get('fields');
  const same: Record<string, FieldValue | null> = {};
  if (listed === null) {
    for (const f of SOURCE_FIELDS) if (typeof anchor[f] === 'string') same[f] = anchor[f];
    return same;
  }
  const names = listed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length > 50) throw new StrataError('invalid_request', `"fields" names ${names.length} fields; at most 50`);
  for (const f of names) {
    if (f === '@timestamp' || f === '_index') throw new StrataError('invalid_request', `"fields" cannot name ${f}: context is of one index, around one time`);
    same[f] = Object.hasOwn(anchor, f) ? anchor[f] : null;
  }
  return same;
}

/** A query for records whose fields hold (at least) the same phrases: search narrows, `isSame` decides. */
function sameQuery(same: Record<string, FieldValue | null>): string {
  const clauses: string[] = [];
  for (const [f, v] of Object.entries(same)) {
    if (!QUERY_FIELD_RE.test(f)) continue;
    if (v === null) clauses.push(`NOT ${f}:*`);
    else if (typeof v === 'number') clauses.push(`${f}:[${v} TO ${v}]`);
    else if (typeof v === 'boolean') clauses.push(`${f}:${v}`);
    else if (v.length > MAX_PHRASE_CHARS || tokenize(v).length === 0) clauses.push(`${f}:*`);
    else clauses.push(`${f}:"${v.replace(/["\\]/g, '\\$&')}"`);
  }
  const q = clauses.join(' AND ');
  return q.length <= MAX_QUERY_LENGTH ? q : '';
}

function isSame(hit: Hit, same: Record<string, FieldValue | null>): boolean {
  for (const f in same) {
    const want = same[f];
    if (want === null ? Object.hasOwn(hit, f) : hit[f] !== want) return false;
  }
  return true;
}

/** Up to `size` records of the same source on one side of the anchor, oldest first. */
function side(engine: Engine, a: Anchor, same: Record<string, FieldValue | null>, query: string, size: number, sort: 'asc' | 'desc'): Hit[] {
  const out: Hit[] = [];
  if (size === 0) return out;
  let after: string | null = encodeCursor({ ts: a.c.ts, index: a.handle.name, shard: a.shard, seq: a.c.seq });
  let examined = 0;
  while (after !== null && out.length < size && examined < CONTEXT_MAX_EXAMINED) {
    const want = Math.min(10_000, Math.max(64, 2 * (size - out.length)));
    const r = engine.search({ index: a.handle.name, query, size: want, sort, search_after: after });
    for (const hit of r.hits) {
      examined++;
      if (isSame(hit, same) && out.push(hit) === size) break;
    }
    after = r.next;
  }
  return sort === 'desc' ? out.reverse() : out;
}

/** Surrounding lines: the records of the same source just before and after a hit, in search order. */
export function contextRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/context$/,
      access: 'read',
      handler: async (_req, res, _params, url, who) => {
        const name = param(url, 'index');
        if (name === null) throw new StrataError('invalid_request', '"index" is required: the _index of the hit');
        if (name.includes('*') || name.includes(',')) throw new StrataError('invalid_request', '"index" must be one index name (the _index of the hit), not a pattern or list');
        validateIndexName(name);
        const h = engine.indices.resolve(name, who.readFilter())[0];
        const size = intParam(url, 'size', CONTEXT_DEFAULT_SIZE, CONTEXT_MAX_SIZE);
        const anchor = findAnchor(h, url);
        if (anchor === null) {
          const what = param(url, 'id') ?? `shard ${param(url, 'shard')} offset ${param(url, 'offset')}`;
          throw new StrataError('not_found', `no record ${JSON.stringify(what.slice(0, 200))} in index ${name}`, { index: name });
        }
        const same = sameValues(anchor.fields, url);
        const query = sameQuery(same);
        const before = side(engine, anchor, same, query, size, 'desc');
        const after = side(engine, anchor, same, query, size, 'asc');
        const text = `{"anchor":${candidateHitJson(name, anchor.shard, anchor.c)},"same":${JSON.stringify(same)},"before":${JSON.stringify(before)},"after":${JSON.stringify(after)}}`;
        sendJsonText(res, 200, text);
      },
    },
  ];
}
