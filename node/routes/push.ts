import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrataError } from '../../lib/errors.ts';
import { validateIndexName } from '../../shards/index.ts';
import { decodeLokiPush } from '../../ingest/protocols/loki.ts';
import { decodeOtlpLogs, encodeOtlpResponse, otlpEncoding } from '../../ingest/protocols/otlp.ts';
import type { DecodedBatch } from '../../ingest/index.ts';
import { storedCount, type IngestReport } from '../engine.ts';
import { admitBody, tally } from './ingest-request.ts';
import { ingestRefusal, pipelineParam } from './native.ts';
import { forbiddenIndex, type Principal } from '../security/index.ts';
import type { Route, RouteContext } from './types.ts';

/** Rejections listed in a Loki error answer; the count stays exact. */
const MAX_LISTED = 20;

/**
 * The push protocols of agents built for Loki and OpenTelemetry. Each writes into one index: `?index=NAME`, else
 * `loki` or `otel`. Storage refusals (overload, full disk) fail the whole request with the status the protocol's
 * clients retry on (429 with Retry-After, 5xx); records refused one by one are stored around.
 */
export function pushRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;

  async function receive(req: IncomingMessage, url: URL, who: Principal, endpoint: string, fallbackIndex: string, decode: (body: Buffer) => DecodedBatch) {
    const started = performance.now();
    const index = url.searchParams.get('index') ?? fallbackIndex;
    validateIndexName(index);
    if (!who.canIngest(index)) throw forbiddenIndex(who, 'ingest', index);
    const { body, release } = await admitBody(ctx, req);
    try {
      const batch = decode(body);
      const report = await engine.ingestBatch(index, batch, { pipeline: pipelineParam(url), refuse: ingestRefusal(who) });
      if (report.failed.length > 0) throw report.failed[0].error;
      return { report, done: (status: number) => tally(ctx, endpoint, started, status, body.length, report) };
    } finally {
      release();
    }
  }

  return [
    {
      method: 'POST',
      pattern: /^\/loki\/api\/v1\/push$/,
      access: 'ingest',
      endpoint: 'loki',
      handler: async (req, res, _p, url, who) => {
        const ct = req.headers['content-type'] ?? '';
        const { report, done } = await receive(req, url, who, 'loki', 'loki', (b) => decodeLokiPush(b, ct, Date.now(), engine.cfg.maxRecordBytes, engine.cfg.maxBodyBytes));
        if (report.rejected.length === 0) {
          done(204);
          res.writeHead(204).end();
          return;
        }
        // Loki answers a push with bad entries 400, after storing the good ones: clients then do not resend it.
        done(400);
        sendText(res, 400, rejectionText(report));
      },
      onError: (res, err) => {
        if (res.headersSent || !(err instanceof StrataError)) return false;
        const headers: Record<string, string> = err.httpStatus === 429 ? { 'retry-after': String(err.details.retryAfterS ?? 1) } : err.httpStatus === 401 ? { 'www-authenticate': String(err.details.challenge) } : {};
        sendText(res, err.httpStatus, err.httpStatus >= 500 && err.code === 'internal' ? 'internal error; see the node log\n' : err.message + '\n', headers);
        return true;
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/logs$/,
      access: 'ingest',
      endpoint: 'otlp',
      handler: async (req, res, _p, url, who) => {
        const ct = req.headers['content-type'] ?? '';
        const encoding = otlpEncoding(ct);
        if (encoding === null) throw new StrataError('unsupported_media_type', `OTLP/HTTP takes application/x-protobuf or application/json, not "${ct.slice(0, 60)}"`);
        const { report, done } = await receive(req, url, who, 'otlp', 'otel', (b) => decodeOtlpLogs(b, ct, Date.now(), engine.cfg.maxRecordBytes));
        const n = report.rejected.length;
        const message = n === 0 ? '' : rejectionText(report);
        const { body, contentType } = encodeOtlpResponse(n, message, encoding === 'protobuf');
        done(200);
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
        res.end(body);
      },
    },
  ];
}

function rejectionText(report: IngestReport): string {
  const n = report.rejected.length;
  const listed = report.rejected.slice(0, MAX_LISTED).map((r) => `entry ${r.line}: ${r.reason}`);
  return `${storedCount(report)} stored, ${n} rejected:\n${listed.join('\n')}${n > MAX_LISTED ? `\n… and ${n - MAX_LISTED} more` : ''}\n`;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
