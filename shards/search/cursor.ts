import { StrataError } from '../../lib/errors.ts';

/** Where a page ended: the full sort key of its last hit. Opaque to clients (base64url JSON). */
export interface Cursor {
  ts: number;
  index: string;
  shard: number;
  seq: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.index, c.shard, c.seq])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const a = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(a) && a.length === 4 && typeof a[0] === 'number' && typeof a[1] === 'string' && Number.isInteger(a[2]) && typeof a[3] === 'number') {
      return { ts: a[0], index: a[1], shard: a[2], seq: a[3] };
    }
  } catch {
    /* fall through */
  }
  throw new StrataError('invalid_request', '"search_after" is not a cursor returned by a previous search (use its "next")');
}
