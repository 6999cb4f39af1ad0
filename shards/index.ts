/** The shard layer's public surface on a single node: the local shard map, routing, and scatter/gather search. */
export { LocalIndices, validateIndexName, type IndexFilter, type IndexHandle } from './cluster/local-indices.ts';
export { routeBatch } from './routing/route.ts';
export { candidateHitJson, executeSearch, searchResponseJson, storedHitJson, SearchRequestSchema, type SearchRequest, type SearchResponse, type Hit } from './search/search.ts';
export { encodeCursor } from './search/cursor.ts';
