import type { IncomingMessage } from 'node:http';
import type { IngestReport } from '../engine.ts';
import { storedCount } from '../engine.ts';
import { BodyBuffers, readBody, readPooledBody } from '../http.ts';
import type { RouteContext } from './types.ts';
import type { Rejection } from '../../ingest/index.ts';

/** A request body admitted for ingest: decompressed, under the size limit, and counted against the node's budget. */
export interface Admitted {
  body: Buffer;
  release: () => void;
}

/** Buffers reused for the bodies of native ingest requests, shared by the routes of every node in the process. */
const bodies = new BodyBuffers();

/**
 * Claims room (429 when the node is full), then reads and decompresses the body (413 past the limit). `pooled`:
 * read it into a reused buffer, for a caller that keeps no part of `body` after `release()` (strings decoded from
 * it are copies).
 */
export async function admitBody(ctx: RouteContext, req: IncomingMessage, pooled = false): Promise<Admitted> {
  const max = ctx.engine.cfg.maxBodyBytes;
  const declared = Number(req.headers['content-length']) || 0;
  const release = ctx.engine.admit(Math.min(declared, max));
  try {
    if (!pooled) return { body: await readBody(req, max), release };
    const { body, done } = await readPooledBody(req, max, bodies);
    return {
      body,
      release: () => {
        done();
        release();
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}

/** Counts a finished ingest request in the node's metrics. */
export function tally(
  ctx: Pick<RouteContext, 'engine'>,
  endpoint: string,
  started: number,
  status: number,
  bytes: number,
  report: IngestReport | null,
  extraRejected: readonly Rejection[] = [],
): void {
  let rejected = report ? (extraRejected.length ? [...report.rejected, ...extraRejected] : report.rejected) : extraRejected;
  if (report && report.conflicts.length > 0) {
    rejected = [...rejected, ...report.conflicts.flatMap((c) => c.pos.map((line, i) => ({ line, code: 'conflict' as const, reason: `[${c.id[i]}]: already stored` })))];
  }
  const accepted = report ? storedCount(report) : 0;
  let failed = 0;
  for (const f of report?.failed ?? []) failed += f.pos.length;
  const dropped = report?.dropped.length ?? 0;
  ctx.engine.metrics.tally({
    endpoint,
    status,
    bytes,
    received: accepted + failed + dropped + rejected.length,
    accepted,
    dropped,
    rejected,
    seconds: (performance.now() - started) / 1000,
  });
}
