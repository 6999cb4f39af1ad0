import type { Fields } from '../../lib/record.ts';
import { normalizeObject, textRecord } from '../../lib/record.ts';

export interface DecodedBatch {
  ts: number[];
  fields: Fields[];
  fieldsJson: string[];
  rejected: { line: number; reason: string }[];
}

/**
 * Decodes a native ingest body: NDJSON (one JSON object a line) or plain text (one message a line). Each bad line
 * is rejected with its 1-based line number and reason; the others are kept. Blank lines are skipped.
 */
export function decodeLines(body: string, format: 'ndjson' | 'text', nowMs: number, maxRecordBytes: number): DecodedBatch {
  const out: DecodedBatch = { ts: [], fields: [], fieldsJson: [], rejected: [] };
  let pos = 0;
  let line = 0;
  const n = body.length;
  while (pos < n) {
    let end = body.indexOf('\n', pos);
    if (end < 0) end = n;
    line++;
    let stop = end;
    if (stop > pos && body.charCodeAt(stop - 1) === 13) stop--;
    const text = body.slice(pos, stop);
    pos = end + 1;
    if (text.trim() === '') continue;
    // UTF-16 length is a lower bound on UTF-8 bytes; only near the cap is the exact count needed.
    if (text.length > maxRecordBytes / 3 && Buffer.byteLength(text) > maxRecordBytes) {
      out.rejected.push({ line, reason: `record is ${Buffer.byteLength(text)} bytes, over the limit of ${maxRecordBytes}` });
      continue;
    }
    if (format === 'text') {
      const r = textRecord(text, nowMs);
      push(out, r.ts, r.fields);
      continue;
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      out.rejected.push({ line, reason: `invalid JSON: ${(e as Error).message.slice(0, 200)}` });
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      out.rejected.push({ line, reason: 'expected a JSON object' });
      continue;
    }
    const r = normalizeObject(v as Record<string, unknown>, nowMs);
    push(out, r.ts, r.fields);
  }
  return out;
}

function push(out: DecodedBatch, ts: number, fields: Fields): void {
  out.ts.push(ts);
  out.fields.push(fields);
  out.fieldsJson.push(JSON.stringify(fields));
}
