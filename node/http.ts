import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { StrataError } from '../lib/errors.ts';

/** Reads a body up to `max` bytes; more is a 413, decided from Content-Length when the client sends one. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  let body = Buffer.concat(chunks);
  if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
    try {
      body = gunzipSync(body, { maxOutputLength: max });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(max);
      throw new StrataError('invalid_request', 'the gzip body could not be decompressed');
    }
  }
  return body;
}

function tooLarge(max: number): StrataError {
  return new StrataError('payload_too_large', `request body is over the limit of ${max} bytes; send smaller batches`, { limitBytes: max });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** Sends JSON already serialized. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Turns any thrown value into a JSON error; 5xx answers never carry internals. */
export function sendError(res: ServerResponse, err: unknown, log: (m: string) => void): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof StrataError) {
    const headers: Record<string, string> = {};
    const retry = err.details.retryAfterS;
    if (err.code === 'overloaded') headers['retry-after'] = String(typeof retry === 'number' ? retry : 1);
    const status = err.httpStatus;
    if (status >= 500) log(`error ${err.code}: ${err.message}`);
    const { issues: _issues, ...details } = err.details;
    sendJson(res, status, { error: { code: err.code, message: err.message, ...details } }, headers);
    return;
  }
  log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the node log' } });
}
