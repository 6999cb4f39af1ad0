import { scanPayload } from '../log/frame.ts';
import { SegmentReader } from '../segment/reader.ts';
import { type DocBytes, type SegmentSource, writeSegment } from '../segment/writer.ts';
import { mergeSegments } from '../segment/merger.ts';
import { threadCpuSeconds } from '../../lib/thread-cpu.ts';
import { docF64, docU32 } from '../segment/scratch.ts';
import type { BuildResult, BuildTask, MergeTask, SealTask, WorkerResult } from './tasks.ts';

/**
 * Piscina entry point: builds one whole segment per task, so nothing needs merging back on the main thread. Says
 * how much CPU time the build took on this thread, for the node's accounting of where its CPU goes.
 */
export default function run(task: BuildTask): WorkerResult {
  const cpu0 = threadCpuSeconds();
  const footer = task.kind === 'seal' ? seal(task) : merge(task);
  const cpu1 = threadCpuSeconds();
  return { footer, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

function seal(task: SealTask): BuildResult {
  const seqIn = new Float64Array(task.seqs);
  const n = seqIn.length;
  // From the thread's pools, every element written before it is read; all go back once the segment is written.
  const ts = docF64.takeExact(n);
  const docs: DocBytes = { bufs: [], buf: docU32.takeExact(n), start: docU32.takeExact(n), end: docU32.takeExact(n) };
  let i = 0;
  for (const view of task.payload) {
    const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    const k = docs.bufs.push(b) - 1;
    scanPayload(b, (t, start, end) => {
      if (i === n) throw new Error(`a seal's payload holds more records than its ${n} offsets`);
      ts[i] = t;
      docs.buf[i] = k;
      docs.start[i] = start;
      docs.end[i++] = end;
    });
  }
  if (i !== n) throw new Error(`a seal's payload holds ${i} records, not the ${n} of its offsets`);
  const src = sorted(ts, seqIn, docs);
  docF64.give(ts);
  docU32.give(docs.buf, docs.start, docs.end);
  try {
    return writeSegment(task.path, src, { bigrams: task.bigrams, patterns: task.patterns, groupedMinDf: null });
  } finally {
    docF64.give(src.ts, src.seq);
    docU32.give(src.json.buf, src.json.start, src.json.end);
  }
}

function merge(task: MergeTask): BuildResult {
  const readers = task.inputs.map((p) => SegmentReader.open(p));
  try {
    return mergeSegments(task.path, readers, task.bigrams, undefined, task.groupedMinDf);
  } finally {
    for (const r of readers) r.close();
  }
}

/** Orders records by (ts, seq): the order every segment keeps, so time ranges are doc id ranges. */
function sorted(ts: Float64Array, seq: Float64Array, docs: DocBytes): SegmentSource & { json: DocBytes } {
  const n = ts.length;
  const order = docU32.takeExact(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => ts[a] - ts[b] || seq[a] - seq[b]);
  const out = { ts: docF64.takeExact(n), seq: docF64.takeExact(n), json: { bufs: docs.bufs, buf: docU32.takeExact(n), start: docU32.takeExact(n), end: docU32.takeExact(n) } };
  for (let i = 0; i < n; i++) {
    const j = order[i];
    out.ts[i] = ts[j];
    out.seq[i] = seq[j];
    out.json.buf[i] = docs.buf[j];
    out.json.start[i] = docs.start[j];
    out.json.end[i] = docs.end[j];
  }
  docU32.give(order);
  return out;
}
