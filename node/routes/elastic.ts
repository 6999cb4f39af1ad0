import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { StrataError } from '../../lib/errors.ts';
import { indexNameProblem } from '../../lib/config.ts';
import { type BulkItemError, BulkItemScanner, decodeBulk, type DecodedBulk } from '../../ingest/protocols/bulk.ts';
import type { Rejection } from '../../ingest/index.ts';
import type { IngestReport } from '../engine.ts';
import { decodedStream, sendJson, sendJsonText, tooLarge } from '../http.ts';
import { VERSION } from '../version.ts';
import { admitBody, tally } from './ingest-request.ts';
import { ingestRefusal, pipelineParam } from './native.ts';
import { forbiddenIndex, type Principal } from '../security/index.ts';
import type { Route, RouteContext } from './types.ts';

/**
 * The part of the Elasticsearch REST API that log shippers use: `_bulk` (and single documents), and what they
 * probe before sending (the root document, license, health, templates and ILM). Official clients refuse a
 * server that does not send `X-Elastic-Product: Elasticsearch`; shippers choose their request format by the
 * major version, so the root document reports an 8.x version, which every maintained shipper accepts.
 */

const ES_VERSION = '8.17.0';
const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };

function sendEs(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, PRODUCT);
}

function esError(status: number, type: string, reason: string): { error: unknown; status: number } {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

const ES_TYPE: Partial<Record<string, string>> = {
  invalid_request: 'illegal_argument_exception',
  invalid_config: 'illegal_argument_exception',
  index_not_found: 'index_not_found_exception',
  not_found: 'resource_not_found_exception',
  payload_too_large: 'content_too_long_exception',
  overloaded: 'es_rejected_execution_exception',
  storage_full: 'cluster_block_exception',
  unauthorized: 'security_exception',
  forbidden: 'security_exception',
  rate_limited: 'security_exception',
};

/** Errors in Elasticsearch's shape, so that clients parse them; 5xx carry no internals. */
function onError(log: (m: string) => void) {
  return (res: ServerResponse, err: unknown): boolean => {
    if (res.headersSent) return false;
    if (err instanceof StrataError) {
      const status = err.httpStatus;
      if (status >= 500) log(`error ${err.code}: ${err.message}`);
      if (status === 429) res.setHeader('retry-after', String(err.details.retryAfterS ?? 1));
      if (status === 401) res.setHeader('www-authenticate', String(err.details.challenge));
      sendEs(res, status, esError(status, ES_TYPE[err.code] ?? 'exception', status >= 500 && err.code === 'internal' ? 'internal error; see the node log' : err.message));
      return true;
    }
    log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    sendEs(res, 500, esError(500, 'exception', 'internal error; see the node log'));
    return true;
  };
}


export interface ItemResult {
  op: string;
  index: string | null;
  id: string | null;
  status: number;
  seqNo?: number;
  error?: BulkItemError;
  /** An `index` whose `_id` was already stored: answered `noop`, counted as a conflict. */
  duplicate?: boolean;
}

/**
 * One item of a `_bulk` answer as JSON text: exactly `JSON.stringify(itemJson(r))`, written from a template when
 * the item was stored (nearly all of them). A 5,000-item answer built as objects and stringified cost the main
 * thread about as much as decoding the request, and its objects lived until the answer was sent.
 */
export function itemText(r: ItemResult): string {
  if (r.error || r.index === null || r.id === null || r.seqNo === undefined || (r.status !== 200 && r.status !== 201) || !SAFE_OP.has(r.op)) {
    return JSON.stringify(itemJson(r));
  }
  return (
    `{"${r.op}":{"_index":${JSON.stringify(r.index)},"_id":${JSON.stringify(r.id)},"_version":1,"result":"${r.status === 200 ? 'noop' : 'created'}",` +
    `"_shards":{"total":1,"successful":1,"failed":0},"_seq_no":${JSON.stringify(r.seqNo)},"_primary_term":1,"status":${r.status}}}`
  );
}

const SAFE_OP = new Set(['index', 'create']);

export function itemJson(r: ItemResult): Record<string, unknown> {
  const body: Record<string, unknown> = { _index: r.index, _id: r.id };
  if (r.error) {
    body.status = r.status;
    body.error = { type: r.error.type, reason: r.error.reason };
  } else {
    body._version = 1;
    body.result = r.status === 200 ? 'noop' : 'created';
    body._shards = { total: 1, successful: 1, failed: 0 };
    body._seq_no = r.seqNo;
    body._primary_term = 1;
    body.status = r.status;
  }
  return { [r.op]: body };
}

/** Maps what storage made of each group back onto the items, in request order. */
function bulkResults(decoded: DecodedBulk, reports: (IngestReport | BulkItemError)[]): ItemResult[] {
  const results: ItemResult[] = decoded.items.map((it) => ({ op: it.op, index: it.index, id: it.id, status: 201 }));
  decoded.errors.forEach((error, pos) => Object.assign(results[pos - 1], { status: error.status, error }));
  decoded.groups.forEach((g, k) => {
    const r = reports[k];
    if (!('stored' in r)) {
      for (const pos of g.batch.pos) Object.assign(results[pos - 1], { status: r.status, error: r });
      return;
    }
    for (const part of r.stored) {
      part.pos.forEach((pos, i) => {
        const res = results[pos - 1];
        res.index = part.index;
        res.id ??= `${part.shard[i]}-${part.offset[i]}`;
        res.seqNo = part.offset[i];
      });
    }
    for (const c of r.conflicts) {
      c.pos.forEach((pos, i) => {
        const res = results[pos - 1];
        res.index = c.index;
        res.seqNo = c.offset[i];
        if (res.op === 'create') {
          res.status = 409;
          res.error = { status: 409, code: 'conflict', type: 'version_conflict_engine_exception', reason: `[${c.id[i]}]: version conflict, document already exists (current version [1])` };
        } else {
          // Elasticsearch would overwrite; Strata is append-only, so it answers as Elasticsearch answers a write
          // that changes nothing: the record stands as first stored, and a retry is not stored twice.
          res.status = 200;
          res.duplicate = true;
        }
      });
    }
    for (const f of r.failed) {
      const status = f.error.httpStatus;
      const error: BulkItemError = { status, code: status === 429 ? 'overloaded' : status === 403 ? 'forbidden' : 'storage_failed', type: ES_TYPE[f.error.code] ?? 'exception', reason: f.error.message };
      for (const pos of f.pos) Object.assign(results[pos - 1], { index: f.index, status, error });
    }
    for (const pos of r.dropped) results[pos - 1].status = 200;
    for (const rej of r.rejected) {
      results[rej.line - 1].status = 400;
      results[rej.line - 1].error = { status: 400, code: rej.code, type: 'document_parsing_exception', reason: rej.reason };
    }
  });
  return results;
}

export function elasticRoutes(ctx: RouteContext): Route[] {
  const { engine, log } = ctx;
  const err = onError(log);
  const json = (status: number, body: unknown) => async (_req: IncomingMessage, res: ServerResponse) => sendEs(res, status, body);
  const acknowledged = json(200, { acknowledged: true });
  const rootDoc = {
    name: hostname(),
    cluster_name: 'strata',
    cluster_uuid: 'strata-single-node',
    version: {
      number: ES_VERSION,
      build_flavor: 'default',
      build_type: 'strata',
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
      strata_version: VERSION,
    },
    tagline: 'You Know, for Search',
  };
  const health = () => ({
    cluster_name: 'strata',
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: engine.indices.list().reduce((n, h) => n + h.shards.length, 0),
    active_shards: engine.indices.list().reduce((n, h) => n + h.shards.length, 0),
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
  });

  /** Every item answered 429 inside a 200, read line by line without holding the body. */
  async function answerOverloaded(req: IncomingMessage, res: ServerResponse, defaultIndex: string | null, started: number): Promise<void> {
    const scanner = new BulkItemScanner(defaultIndex);
    let bytes = 0;
    const max = engine.cfg.maxBodyBytes;
    const lines = createInterface({ input: decodedStream(req), crlfDelay: Infinity });
    for await (const line of lines) {
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > max) throw tooLarge(max);
      scanner.line(line);
    }
    const error = { type: 'es_rejected_execution_exception', reason: 'the node is busy ingesting; retry shortly' };
    const items = scanner.items.map((it) => ({ [it.op]: { _index: it.index, _id: it.id, status: 429, error } }));
    tally(ctx, 'elasticsearch', started, 200, bytes, null, items.map((_, i) => ({ line: i + 1, code: 'overloaded' as const, reason: error.reason })));
    sendEs(res, 200, { took: Math.round(performance.now() - started), errors: items.length > 0, items });
  }

  async function bulk(req: IncomingMessage, res: ServerResponse, defaultIndex: string | null, url: URL, who: Principal): Promise<void> {
    const started = performance.now();
    if (defaultIndex !== null) {
      const bad = indexNameProblem(defaultIndex);
      if (bad) throw new StrataError('invalid_request', bad);
    }
    let admitted;
    try {
      // Pooled: decoding keeps strings, copies of the body's text, and the body is given back below.
      admitted = await admitBody(ctx, req, true);
    } catch (e) {
      // rsyslog (8.2302) drops a whole batch answered 429 and never retries it; a 429 per item it does retry.
      if (e instanceof StrataError && e.code === 'overloaded' && !req.complete) return answerOverloaded(req, res, defaultIndex, started);
      throw e;
    }
    const { body, release } = admitted;
    try {
      const decoded = decodeBulk(body, {
        defaultIndex,
        defaultPipeline: pipelineParam(url),
        nowMs: Date.now(),
        maxRecordBytes: engine.cfg.maxRecordBytes,
        keepFields: (index, pipeline) => engine.needsFields(index, pipeline),
      });
      const reports = await Promise.all(
        decoded.groups.map((g) =>
          engine.ingestBatch(g.index, g.batch, { pipeline: g.pipeline, refuse: ingestRefusal(who) }).catch((e: unknown): BulkItemError => {
            if (!(e instanceof StrataError)) throw e;
            const status = e.code === 'not_found' ? 400 : e.httpStatus;
            return { status, code: e.code === 'not_found' ? 'pipeline_failed' : 'storage_failed', type: ES_TYPE[e.code] ?? 'exception', reason: e.message };
          }),
        ),
      );
      const results = bulkResults(decoded, reports);
      const stored = reports.filter((r): r is IngestReport => 'stored' in r);
      // One pass, no array per item: a request carries thousands of them.
      let accepted = 0;
      const rejected: Rejection[] = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i];
        if (r.error) rejected.push({ line: i + 1, code: r.error.code, reason: r.error.reason });
        else if (r.duplicate) rejected.push({ line: i + 1, code: 'conflict', reason: `[${r.id}]: already stored` });
        else if (r.status === 201) accepted++;
      }
      ctx.engine.metrics.tally({
        endpoint: 'elasticsearch',
        status: 200,
        bytes: body.length,
        received: results.length,
        accepted,
        dropped: stored.reduce((n, r) => n + r.dropped.length, 0),
        rejected,
        seconds: (performance.now() - started) / 1000,
      });
      const items = results.map(itemText).join(',');
      sendJsonText(res, 200, `{"took":${Math.round(performance.now() - started)},"errors":${results.some((r) => r.error)},"items":[${items}]}`, PRODUCT);
    } finally {
      release();
    }
  }

  /** One document (`POST /<index>/_doc`, `PUT /<index>/_doc/<id>`, `_create`): a bulk of one, answered as its item. */
  async function single(req: IncomingMessage, res: ServerResponse, index: string, id: string | null, op: 'index' | 'create', url: URL, who: Principal): Promise<void> {
    const started = performance.now();
    const bad = indexNameProblem(index);
    if (bad) throw new StrataError('invalid_request', bad);
    if (!who.canIngest(index)) throw forbiddenIndex(who, 'ingest', index);
    const { body, release } = await admitBody(ctx, req);
    try {
      const action = JSON.stringify({ [op]: id === null ? {} : { _id: id } });
      const decoded = decodeBulk(action + '\n' + body.toString('utf8').replace(/\r?\n/g, ' '), {
        defaultIndex: index,
        defaultPipeline: pipelineParam(url),
        nowMs: Date.now(),
        maxRecordBytes: engine.cfg.maxRecordBytes,
      });
      const reports = await Promise.all(decoded.groups.map((g) => engine.ingestBatch(g.index, g.batch, { pipeline: g.pipeline, refuse: ingestRefusal(who) })));
      const [r] = bulkResults(decoded, reports);
      tally(ctx, 'elasticsearch', started, r.status, body.length, reports[0] ?? null);
      if (r.error) {
        if (r.status === 429) res.setHeader('retry-after', '1');
        sendEs(res, r.status, esError(r.status, r.error.type, r.error.reason));
        return;
      }
      const item = itemJson(r)[op] as Record<string, unknown>;
      delete item.status;
      sendEs(res, r.status, item);
    } finally {
      release();
    }
  }

  const routes: Omit<Route, 'onError'>[] = [
    // What shippers probe before sending: any caller who proved who they are may see it.
    { method: 'GET', pattern: /^\/$/, access: 'authenticated', handler: json(200, rootDoc) },
    { method: 'GET', pattern: /^\/_license$/, access: 'authenticated', handler: json(200, { license: { status: 'active', uid: 'strata', type: 'basic', issue_date_in_millis: 0, max_nodes: 1000 } }) },
    { method: 'GET', pattern: /^\/_xpack$/, access: 'authenticated', handler: json(200, { build: {}, license: { status: 'active', type: 'basic', mode: 'basic' }, features: {} }) },
    { method: 'GET', pattern: /^\/_cluster\/health(?:\/[^/]*)?$/, access: 'authenticated', handler: async (_q, res) => sendEs(res, 200, health()) },
    {
      method: 'GET',
      pattern: /^\/_cat\/health$/,
      access: 'authenticated',
      handler: async (_req, res, _p, url) => {
        const h = health();
        if (url.searchParams.get('format') === 'json') return sendEs(res, 200, [{ cluster: h.cluster_name, status: h.status, 'node.total': '1', 'node.data': '1' }]);
        const text = `${Math.floor(Date.now() / 1000)} ${new Date().toISOString().slice(11, 19)} ${h.cluster_name} ${h.status} 1 1 ${h.active_shards} ${h.active_primary_shards} 0 0 0 0 - 100.0%\n`;
        res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', ...PRODUCT });
        res.end(text);
      },
    },
    { method: 'GET', pattern: /^\/_nodes(?:\/[^/]+)*$/, access: 'authenticated', handler: json(200, { _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: 'strata', nodes: {} }) },
    // Templates, ILM policies and Elasticsearch's own ingest pipelines: shippers install theirs at start. None
    // exists here (GET answers 404) and installing one is acknowledged and ignored: Strata indices need none.
    {
      method: 'GET',
      pattern: /^\/_(?:index_template|template|component_template|ilm\/policy|ingest\/pipeline)(?:\/([^/]*))?$/,
      access: 'authenticated',
      handler: async (_req, res, [name]) => sendEs(res, 404, esError(404, 'resource_not_found_exception', `[${name ?? ''}] not found: Strata keeps no Elasticsearch templates or policies`)),
    },
    ...['PUT', 'POST', 'DELETE'].map((method) => ({ method, pattern: /^\/_(?:index_template|template|component_template|ilm\/policy|ingest\/pipeline)\/[^/]+$/, access: 'ingest' as const, handler: acknowledged })),
    { method: 'POST', pattern: /^\/(?:[^/_][^/]*\/)?_refresh$/, access: 'ingest', handler: json(200, { _shards: { total: 1, successful: 1, failed: 0 } }) },
    { method: 'POST', pattern: /^\/_bulk$/, access: 'ingest', endpoint: 'elasticsearch', handler: (req, res, _p, url, who) => bulk(req, res, null, url, who) },
    { method: 'PUT', pattern: /^\/_bulk$/, access: 'ingest', endpoint: 'elasticsearch', handler: (req, res, _p, url, who) => bulk(req, res, null, url, who) },
    { method: 'POST', pattern: /^\/([^/_][^/]*)\/_bulk$/, access: 'ingest', endpoint: 'elasticsearch', handler: (req, res, [index], url, who) => bulk(req, res, index, url, who) },
    { method: 'PUT', pattern: /^\/([^/_][^/]*)\/_bulk$/, access: 'ingest', endpoint: 'elasticsearch', handler: (req, res, [index], url, who) => bulk(req, res, index, url, who) },
    { method: 'POST', pattern: /^\/([^/_][^/]*)\/_doc$/, access: 'ingest', endpoint: 'elasticsearch', handler: (req, res, [index], url, who) => single(req, res, index, null, 'index', url, who) },
    ...['PUT', 'POST'].flatMap((method) => [
      { method, pattern: /^\/([^/_][^/]*)\/_doc\/([^/]+)$/, access: 'ingest' as const, endpoint: 'elasticsearch', handler: (req: IncomingMessage, res: ServerResponse, [index, id]: string[], url: URL, who: Principal) => single(req, res, index, id, url.searchParams.get('op_type') === 'create' ? 'create' : 'index', url, who) },
      { method, pattern: /^\/([^/_][^/]*)\/_create\/([^/]+)$/, access: 'ingest' as const, endpoint: 'elasticsearch', handler: (req: IncomingMessage, res: ServerResponse, [index, id]: string[], url: URL, who: Principal) => single(req, res, index, id, 'create', url, who) },
    ]),
    {
      method: 'PUT',
      pattern: /^\/([^/_][^/]*)$/,
      access: 'ingest',
      handler: async (_req, res, [index], _u, who) => {
        if (!who.canIngest(index)) throw forbiddenIndex(who, 'ingest', index);
        await engine.indices.ensure(index);
        sendEs(res, 200, { acknowledged: true, shards_acknowledged: true, index });
      },
    },
    {
      method: 'GET',
      pattern: /^\/([^/_][^/]*)$/,
      access: 'read',
      handler: async (_req, res, [index], _u, who) => {
        if (!who.canRead(index)) throw forbiddenIndex(who, 'read', index);
        const h = engine.indices.get(index);
        if (!h) return sendEs(res, 404, esError(404, 'index_not_found_exception', `no such index [${index}]`));
        sendEs(res, 200, { [index]: { aliases: {}, mappings: {}, settings: { index: { number_of_shards: String(h.shards.length), number_of_replicas: '0' } } } });
      },
    },
  ];
  return routes.map((r) => ({ ...r, onError: err }));
}
