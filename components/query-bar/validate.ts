import { parseQuery, QueryError } from '../../indexer/query/parser.ts';

export interface QueryProblem {
  position: number;
  reason: string;
}

/** The query's first syntax error, found in the browser as the node would find it; null when it parses. */
export function queryProblem(q: string): QueryProblem | null {
  try {
    parseQuery(q);
    return null;
  } catch (e) {
    if (e instanceof QueryError) return { position: e.position, reason: String(e.details.reason ?? e.message) };
    return { position: 0, reason: (e as Error).message };
  }
}
