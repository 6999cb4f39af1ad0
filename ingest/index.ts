/** Ingest's public surface: decoders that turn request bodies into standard records. */
export { decodeLines } from './protocols/ndjson.ts';
export { type DecodedBatch, type Rejection, type RejectCode, fieldsOf, jsonOf } from './batch.ts';
