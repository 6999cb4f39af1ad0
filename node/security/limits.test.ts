/**
 * Query complexity limits, on a real node: a query of too many terms, or a prefix that expands to too many words
 * of a sealed segment, is refused with a 400 that says what to do, and the node goes on serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PREFIX_TERMS, MAX_QUERY_CLAUSES } from '../../indexer/query/parser.ts';
import { adminFetch, ingest, postJson, startTestNode } from '../testing.ts';

test('too many terms, or a prefix matching too many words, is refused with a clear error', async () => {
  const node = await startTestNode();
  try {
    const perLine = 20;
    const lines = Math.ceil((MAX_PREFIX_TERMS + 1) / perLine);
    const body = Array.from({ length: lines }, (_, i) => JSON.stringify({ message: Array.from({ length: perLine }, (_, k) => `w${i * perLine + k}`).join(' ') })).join('\n');
    assert.equal((await ingest(node.url, 'many', body)).json.accepted, lines);
    assert.equal((await adminFetch(`${node.url}/api/v1/indices/many/flush`, { method: 'POST' })).status, 200);

    const wide = await postJson(`${node.url}/api/v1/search`, { index: 'many', query: 'w*', size: 0 });
    assert.equal(wide.status, 400, JSON.stringify(wide.json));
    assert.equal(wide.json.error.code, 'invalid_query');
    assert.match(wide.json.error.message, new RegExp(`"w\\*" matches more than ${MAX_PREFIX_TERMS} different words in field message: make the prefix longer`));
    // A narrower prefix is answered, and exactly.
    const narrow = await postJson(`${node.url}/api/v1/search`, { index: 'many', query: 'w1999*', size: 0 });
    assert.equal(narrow.status, 200);
    const words = Array.from({ length: lines * perLine }, (_, n) => n).filter((n) => `w${n}`.startsWith('w1999'));
    assert.equal(narrow.json.total, new Set(words.map((n) => Math.floor(n / perLine))).size);

    const terms = Array.from({ length: MAX_QUERY_CLAUSES + 1 }, (_, i) => `t${i}`).join(' OR ');
    const long = await postJson(`${node.url}/api/v1/search`, { index: 'many', query: terms, size: 0 });
    assert.equal(long.status, 400);
    assert.match(long.json.error.message, new RegExp(`the query has ${MAX_QUERY_CLAUSES + 1} terms; at most ${MAX_QUERY_CLAUSES}`));
    const ok = Array.from({ length: MAX_QUERY_CLAUSES }, (_, i) => `w${i}`).join(' OR ');
    assert.equal((await postJson(`${node.url}/api/v1/search`, { index: 'many', query: ok, size: 0 })).json.total, Math.ceil(MAX_QUERY_CLAUSES / perLine));
  } finally {
    await node.close();
  }
});
