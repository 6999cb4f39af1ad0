import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CORPUS_SPAN_MS, CORPUS_START_MS, generateCorpus } from './corpus.ts';
import { DatasetsUnavailableError, resolveDatasetsDir, statSamples } from './loghub.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-corpus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let haveSamples = true;
try {
  statSamples(resolveDatasetsDir());
} catch {
  haveSamples = false;
}
const skip = haveSamples ? false : 'Loghub samples not found (set STRATA_DATASETS)';

test('both files hold the same distinct lines in rising time order', { skip }, async () => {
  const c = await generateCorpus({ lines: 20_000, seed: 7, out: join(dir, 'a') });
  const raw = readFileSync(c.rawFile, 'utf8').split('\n');
  const nd = readFileSync(c.ndjsonFile, 'utf8').split('\n');
  assert.equal(raw.pop(), '');
  assert.equal(nd.pop(), '');
  assert.equal(raw.length, 20_000);
  assert.equal(nd.length, 20_000);
  assert.ok(new Set(raw).size > 19_990, 'lines should be nearly all distinct');
  let prev = -Infinity;
  for (let i = 0; i < nd.length; i++) {
    const r = JSON.parse(nd[i]) as { '@timestamp': number; message: string; system: string };
    assert.equal(r.message, raw[i]);
    assert.ok(r['@timestamp'] > prev);
    prev = r['@timestamp'];
  }
  assert.ok(c.firstTs >= CORPUS_START_MS && c.lastTs < CORPUS_START_MS + CORPUS_SPAN_MS);
});

test('a seed always yields the same corpus, and a matching cache is reused', { skip }, async () => {
  const a = await generateCorpus({ lines: 5_000, seed: 3, out: join(dir, 'b') });
  const b = await generateCorpus({ lines: 5_000, seed: 3, out: join(dir, 'c') });
  assert.equal(readFileSync(a.ndjsonFile, 'utf8'), readFileSync(b.ndjsonFile, 'utf8'));
  const again = await generateCorpus({ lines: 5_000, seed: 3, out: join(dir, 'b') });
  assert.equal(again.reused, true);
  const other = await generateCorpus({ lines: 5_000, seed: 4, out: join(dir, 'b') });
  assert.equal(other.reused, false);
});

test('missing samples raise DatasetsUnavailableError, even over a valid cache', { skip }, async () => {
  await generateCorpus({ lines: 100, out: join(dir, 'd') });
  await assert.rejects(generateCorpus({ lines: 100, out: join(dir, 'd'), datasetsDir: join(dir, 'nowhere') }), DatasetsUnavailableError);
});
