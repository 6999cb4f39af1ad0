/** Ingest's public surface: decoders that turn request bodies into standard records. */
export { decodeLines, type DecodedBatch } from './protocols/ndjson.ts';
