import type { Fields } from '../../../lib/record.ts';

/**
 * The validate stage, built into every pipeline and run after the last parse or enrich processor: a record is
 * stored only if it has at least one field (`message` counts, even empty: a record of nothing but a time says
 * nothing) and its fields' JSON fits `maxRecordBytes`, the same cap decoding puts on a line.
 */

export const NO_FIELDS = -2;
export const FITS = -1;

/** NO_FIELDS, FITS, or the record's size in bytes when it is over `maxRecordBytes`. */
export function checkRecord(fields: Fields, json: string | null, maxRecordBytes: number): number {
  if (json !== null) {
    if (!hasAny(fields)) return NO_FIELDS;
    // UTF-16 length bounds UTF-8 bytes from below (and times 3 from above), as rejectOversize does.
    if (json.length * 3 <= maxRecordBytes) return FITS;
    const bytes = Buffer.byteLength(json);
    return bytes > maxRecordBytes ? bytes : FITS;
  }
  // The record's JSON is written later, by the store: bound its size without writing it. No UTF-16 unit of a key
  // or string becomes more than 6 bytes of JSON (a \u escape), and no number more than 24 characters.
  let units = 2;
  let any = false;
  for (const k in fields) {
    any = true;
    const v = fields[k];
    units += k.length + 4 + (typeof v === 'string' ? v.length + 2 : 24);
  }
  if (!any) return NO_FIELDS;
  if (units * 6 <= maxRecordBytes) return FITS;
  const bytes = Buffer.byteLength(JSON.stringify(fields));
  return bytes > maxRecordBytes ? bytes : FITS;
}

function hasAny(fields: Fields): boolean {
  for (const _ in fields) return true;
  return false;
}
