import { addFieldKinds, KIND_BOOLEAN, KIND_NUMBER, KIND_STRING } from '../../indexer/index.ts';
import { sendJson } from '../http.ts';
import type { Route, RouteContext } from './types.ts';

export type FieldType = 'string' | 'number' | 'boolean' | 'mixed' | 'date';

function typeOf(kinds: number): FieldType {
  switch (kinds) {
    case KIND_STRING:
      return 'string';
    case KIND_NUMBER:
      return 'number';
    case KIND_BOOLEAN:
      return 'boolean';
    default:
      return 'mixed';
  }
}

/**
 * The fields of the indices a pattern names, with their value types: for the dashboard's field list and query
 * completion. Sealed segments answer from their footers, head batches from a scan cached per batch.
 */
export function fieldRoutes(ctx: RouteContext): Route[] {
  const { engine } = ctx;
  return [
    {
      method: 'GET',
      pattern: /^\/api\/v1\/fields$/,
      access: 'read',
      handler: async (_req, res, _params, url, who) => {
        const targets = engine.indices.resolve(url.searchParams.get('index') || '*', who.readFilter());
        const kinds = new Map<string, number>();
        for (const h of targets) for (const s of h.shards) addFieldKinds(s.view(), kinds);
        // A sender's `_id` is stored as a field, but a hit shows it as its id, not as one of its fields.
        kinds.delete('_id');
        const fields: { name: string; type: FieldType }[] = [{ name: '@timestamp', type: 'date' }];
        for (const [name, k] of kinds) fields.push({ name, type: typeOf(k) });
        fields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        sendJson(res, 200, { fields });
      },
    },
  ];
}
