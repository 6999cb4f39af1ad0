import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CORPUS_SPAN_MS, CORPUS_START_MS, generateCorpus, newValueChance } from './corpus.ts';
import { DatasetsUnavailableError, loadSamples, resolveDatasetsDir, statSamples } from './loghub.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-corpus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let haveSamples = true;
try {
  statSamples(resolveDatasetsDir());
} catch {
  haveSamples = false;
}
const skip = haveSamples ? false : 'Loghub samples not found (set STRATA_DATASETS)';

test("a slot's chance of a new value is the share of its occurrences whose value was seen once", () => {
  assert.equal(newValueChance([1, 1, 1]), 1);
  assert.equal(newValueChance([5]), 0);
  assert.equal(newValueChance([2, 1, 1]), 0.5);
  assert.equal(newValueChance([3, 1]), 0.25);
  assert.equal(newValueChance([]), 1);
});

test('both files hold the same lines, mostly distinct, in rising time order', { skip }, async () => {
  const c = await generateCorpus({ lines: 20_000, seed: 7, out: join(dir, 'a') });
  const raw = readFileSync(c.rawFile, 'utf8').split('\n');
  const nd = readFileSync(c.ndjsonFile, 'utf8').split('\n');
  assert.equal(raw.pop(), '');
  assert.equal(nd.pop(), '');
  assert.equal(raw.length, 20_000);
  assert.equal(nd.length, 20_000);
  const distinct = new Set(raw).size;
  assert.ok(distinct > 17_000, `${distinct} distinct lines of 20,000: kept values should not make lines repeat`);
  assert.ok(distinct < 19_990, `${distinct} distinct lines of 20,000: values that repeat in the samples should repeat`);
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

/** A line with each run of digits replaced by one marker: the shape a new value must keep. */
const shape = (line: string) => line.replace(/[0-9]+/g, '#');

test('lines keep a sample line\'s shape; values that repeat in the samples are kept, values seen once are new', { skip }, async () => {
  const samples = loadSamples(resolveDatasetsDir());
  const shapes = new Set(samples.flatMap((s) => s.lines.map((l) => shape(l.toString('utf8')))));
  const hdfs = samples.find((s) => s.system === 'HDFS')!.lines.map((l) => l.toString('utf8'));
  // HDFS lines open with the date (yymmdd), which takes three values in the sample, and name block ids, nearly all
  // distinct.
  const dates = new Set(hdfs.map((l) => l.slice(0, 6)));
  const blocks = new Set(hdfs.flatMap((l) => l.match(/blk_-?[0-9]+/g) ?? []));
  assert.ok(dates.size <= 5 && blocks.size > 1_000, 'the HDFS sample is not the one this test was written for');

  const c = await generateCorpus({ lines: 20_000, seed: 11, out: join(dir, 'e') });
  let hdfsLines = 0;
  let newDates = 0;
  let newBlocks = 0;
  let oldBlocks = 0;
  for (const line of readFileSync(c.ndjsonFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { message: string; system: string };
    assert.ok(shapes.has(shape(r.message)), `not the shape of any sample line: ${r.message}`);
    if (r.system !== 'HDFS') continue;
    hdfsLines++;
    if (!dates.has(r.message.slice(0, 6))) newDates++;
    for (const b of r.message.match(/blk_-?[0-9]+/g) ?? []) {
      if (blocks.has(b)) oldBlocks++;
      else newBlocks++;
    }
  }
  assert.ok(hdfsLines > 500, `${hdfsLines} HDFS lines`);
  // Only the dates of the two templates seen once in the sample (E2, E5: a chance of 1) and one singleton are new.
  assert.ok(newDates <= hdfsLines / 100, `${newDates} of ${hdfsLines} HDFS lines have a date the sample never had`);
  assert.ok(newBlocks > 20 * Math.max(1, oldBlocks), `block ids: ${newBlocks} new, ${oldBlocks} from the sample`);
});
