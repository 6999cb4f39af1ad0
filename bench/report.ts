import { RUN_PLAN, type PeerResult } from './peers/result.ts';
import { formatBytes, formatCount, formatMs, formatRatio, formatTable } from './stats.ts';

/**
 * The side-by-side report: one table of ingest and size, one of query latencies. The first result is the
 * baseline: other systems get a `×` column (their median over the baseline's, so above 1 means the baseline is
 * faster), and their counts are starred where they differ from the baseline's, which is the cue to check the
 * tokenizer notes before reading the latency.
 */
export function formatPeerReport(results: readonly PeerResult[]): string {
  if (results.length === 0) return '(no results)';
  const base = results[0];
  const label = (r: PeerResult) => r.system.split(' ')[0];

  const summary = formatTable(
    ['system', 'ingest lines/s', 'on disk', '× raw', 'peak RSS'],
    results.map((r) => [
      r.system,
      formatCount(r.ingestLinesPerSec),
      formatBytes(r.sizeBytes),
      formatRatio(r.sizeBytes, r.rawBytes),
      formatBytes(r.peakRssBytes),
    ]),
  );

  const headers = ['query'];
  for (const [i, r] of results.entries()) {
    headers.push(`${label(r)} med ms`, 'p99 ms', 'count');
    if (i > 0) headers.push(`× ${label(base)}`);
  }
  let starred = false;
  const rows = base.queries.map((bq) => {
    const row = [bq.name];
    for (const [i, r] of results.entries()) {
      const q = r.queries.find((x) => x.name === bq.name);
      if (!q) {
        row.push('n/a', 'n/a', 'n/a');
        if (i > 0) row.push('n/a');
        continue;
      }
      const differs = i > 0 && q.count !== bq.count;
      starred ||= differs;
      row.push(formatMs(q.medianMs), formatMs(q.p99Ms), formatCount(q.count) + (differs ? '*' : ''));
      if (i > 0) row.push(formatRatio(q.medianMs, bq.medianMs));
    }
    return row;
  });

  const runRange = (r: PeerResult) => {
    const n = r.queries.map((q) => q.runs);
    const lo = Math.min(...n);
    const hi = Math.max(...n);
    return `${label(r)} ${lo === hi ? lo : `${lo}–${hi}`}`;
  };
  const footer = [
    `median and p99 (nearest rank), ms. Except ripgrep (1 untimed run, then the timed ones), each query is first run untimed for ` +
      `${RUN_PLAN.warmupMs / 1000} s (${RUN_PLAN.minWarmupRuns}–${RUN_PLAN.maxWarmupRuns} runs), then timed for ${RUN_PLAN.timedMs / 1000} s ` +
      `(up to ${RUN_PLAN.maxTimedRuns} runs, at least the --runs count). Timed runs per query: ${results.map(runRange).join(', ')}`,
    ...(starred ? [`* count differs from ${base.system}`] : []),
    ...results.flatMap((r) => r.notes),
  ];
  return [summary, '', formatTable(headers, rows), '', ...footer].join('\n');
}
