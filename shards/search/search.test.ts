import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeConfigSchema } from '../../lib/config.ts';
import { Engine } from '../../node/engine.ts';
import { searchResponseJson } from './search.ts';

test('hits are parsed on first read, per response, and the JSON text written for HTTP says the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-search-'));
  const engine = await Engine.open(NodeConfigSchema.parse({ dataDir: dir }), () => {});
  try {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ '@timestamp': 1_700_000_000_000 + i * 1000, message: `${i % 2 ? 'odd' : 'even'} line ${i}`, n: i }));
    await engine.ingest('logs', lines.join('\n'), 'ndjson');
    const odd = engine.search({ index: 'logs', query: 'odd', size: 3, sort: 'desc' });
    const even = engine.search({ index: 'logs', query: 'even', size: 2, sort: 'asc' });

    // Responses share one getter: each must read its own hits.
    assert.deepEqual(odd.hits.map((h) => h.message), ['odd line 19', 'odd line 17', 'odd line 15']);
    assert.deepEqual(even.hits.map((h) => h.message), ['even line 0', 'even line 2']);
    assert.equal(odd.hits, odd.hits, 'parsed once, then kept');
    assert.deepEqual(Object.keys(even), ['total', 'next', 'took_ms', 'hits']);

    // A response not yet read and one already read serialize alike, and as the HTTP layer writes them.
    const fresh = engine.search({ index: 'logs', query: 'odd', size: 3, sort: 'desc' });
    const viaHttp = JSON.parse(searchResponseJson(fresh));
    const viaStringify = JSON.parse(JSON.stringify(fresh));
    for (const r of [viaHttp, viaStringify]) {
      assert.equal(r.total, 10);
      assert.deepEqual(r.hits, odd.hits.map((h) => ({ ...h })));
    }
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
