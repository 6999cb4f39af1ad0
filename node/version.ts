/** The node's version, answered by health and by the Elasticsearch-compatible root document. */
export const VERSION = '0.1.0';
