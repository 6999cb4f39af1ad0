import { StrataError } from '../../lib/errors.ts';
import { validateIndexName } from '../../shards/index.ts';
import { parsePipelineDef, Pipeline } from '../../ingest/pipeline/index.ts';
import { sendJson } from '../http.ts';
import { validatePipelineName } from '../pipelines.ts';
import { jsonBody, jsonObject } from './native.ts';
import type { Route, RouteContext } from './types.ts';

/** Simulations answer at most this many documents: they are for trying a pipeline out, not for bulk work. */
const MAX_SIMULATE_DOCS = 1000;

/** Named ingest pipelines: stored, listed, deleted, and tried on sample documents without storing anything. */
export function pipelineRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;
  const simulate = (p: Pipeline, body: unknown) => {
    const { docs, index } = (body ?? {}) as { docs?: unknown; index?: unknown };
    if (!Array.isArray(docs) || docs.length === 0) throw new StrataError('invalid_request', '"docs" must be a non-empty array of records (JSON objects) or text lines');
    if (docs.length > MAX_SIMULATE_DOCS) throw new StrataError('invalid_request', `at most ${MAX_SIMULATE_DOCS} docs per simulation`);
    const target = typeof index === 'string' ? index : 'simulate';
    validateIndexName(target);
    return p.simulate(docs, target, { nowMs: Date.now(), maxRecordBytes: engine.cfg.maxRecordBytes });
  };
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/pipelines$/,
      access: 'view',
      handler: async (_req, res) => sendJson(res, 200, { pipelines: Object.fromEntries(engine.pipelines.list().map((p) => [p.name, p.def])) }),
    },
    {
      method: 'PUT',
      pattern: /^\/api\/v1\/pipelines\/([^/]+)$/,
      access: 'manage_pipelines',
      handler: async (req, res, [name]) => {
        const created = engine.pipelines.put(name, await jsonBody(ctx, req));
        sendJson(res, created ? 201 : 200, { pipeline: name, created });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/pipelines\/([^/]+)$/,
      access: 'view',
      handler: async (_req, res, [name]) => {
        const p = engine.pipelines.get(name);
        sendJson(res, 200, { pipeline: name, definition: p.def, stats: p.stats() });
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/api\/v1\/pipelines\/([^/]+)$/,
      access: 'manage_pipelines',
      handler: async (_req, res, [name]) => {
        const users = engine.indices.list().filter((h) => h.settings.default_pipeline === name).map((h) => h.name);
        if (users.length > 0) {
          throw new StrataError('conflict', `pipeline ${name} is the default pipeline of ${users.join(', ')}; change their default_pipeline first`);
        }
        engine.pipelines.delete(name);
        sendJson(res, 200, { pipeline: name, deleted: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/v1\/pipelines\/([^/]+)\/_simulate$/,
      access: 'manage_pipelines',
      handler: async (req, res, [name]) => {
        const body = await jsonObject(ctx, req);
        // `_simulate` of a definition sent along (`{"pipeline": {...}, "docs": [...]}`) tries it before storing it.
        const inline = name === '_inline';
        if (!inline) validatePipelineName(name);
        const def = body.pipeline;
        const p = inline ? new Pipeline('_inline', parsePipelineDef(def)) : engine.pipelines.get(name);
        sendJson(res, 200, simulate(p, body));
      },
    },
  ];
}
