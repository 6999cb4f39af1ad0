/** Discover's bench (bench/dashboard.ts) as markdown: printed by the CLI and written to bench/out/dashboard-report.md. */
import { type DashboardBenchResult, DASHBOARD_WARMUP_RUNS, type EnterResult } from './dashboard.ts';
import { formatBytes, formatMs } from './stats.ts';

const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const queryCell = (e: EnterResult) => `${e.name} \`${e.query === '' ? '(empty)' : e.query}\``;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : 'n/a');
const loadText = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(', ');

export function formatDashboardReport(r: DashboardBenchResult): string {
  const f = r.firstLoad;
  const out: string[] = [];
  out.push(`## Dashboard: Discover on ${r.lines.toLocaleString('en-US')} lines`);
  out.push('');
  out.push(
    `Chromium ${r.chromium} headless, ${r.runs} timed run${r.runs === 1 ? '' : 's'} after ${DASHBOARD_WARMUP_RUNS} warm-ups; load average ${loadText(r.loadBefore)} before, ${loadText(r.loadAfter)} after (2 shared cores). ` +
      `Ingest ${r.ingestSeconds.toFixed(1)} s, flush ${r.flushSeconds.toFixed(1)} s${r.buildSeconds >= 1 ? `, dashboard build ${r.buildSeconds.toFixed(0)} s` : ''}; whole bench ${r.wallSeconds.toFixed(0)} s.`,
  );
  out.push('');
  out.push('### First-load JS of /discover');
  out.push('');
  const rows: string[][] = [
    [`JS, cold browser (${f.jsFiles} files, ${f.jsEncodings.join('/')})`, kib(f.jsTransferredBytes), kib(f.jsDecodedBytes)],
    [`everything on the page (${f.allRequests} responses)`, kib(f.allTransferredBytes), kib(f.allDecodedBytes)],
  ];
  if (f.build) rows.push([`next build's first-load JS (${f.build.chunks} chunks; gzip -6 by the bench)`, kib(f.build.gzipBytes), kib(f.build.uncompressedBytes)]);
  out.push(mdTable(['what', 'transferred', 'decoded'], rows));
  out.push('');
  out.push('### Cold load (fresh browser context) → first results');
  out.push('');
  const c = r.cold;
  out.push(
    mdTable(
      ['view', 'DOMContentLoaded', 'load', 'search sent', 'search answered', 'results med', 'results p90'],
      [
        [
          `/discover, empty query (${c.total.toLocaleString('en-US')} hits)`,
          ...[c.domContentLoadedMedianMs, c.loadEventMedianMs, c.searchSentMedianMs, c.searchAnsweredMedianMs, c.resultsMedianMs, c.resultsP90Ms].map((x) => `${formatMs(x)} ms`),
        ],
      ],
    ),
  );
  out.push('');
  out.push('Medians from navigation start (the page’s time origin), each run in a fresh browser context (empty cache).');
  out.push('');
  out.push('### Enter → rendered (warm page): count shows the new total and the first row is in the DOM');
  out.push('');
  out.push(
    mdTable(
      ['query', 'hits', 'UI med', 'UI p90', 'node took_ms', 'API fetch med', 'API p90', 'UI / API'],
      r.enter.map((e) => [
        queryCell(e),
        e.total.toLocaleString('en-US'),
        formatMs(e.uiMedianMs),
        formatMs(e.uiP90Ms),
        formatMs(e.tookMedianMs),
        formatMs(e.apiMedianMs),
        formatMs(e.apiP90Ms),
        ratio(e.uiMedianMs, e.apiMedianMs),
      ]),
    ),
  );
  out.push('');
  out.push('Where the UI’s time goes (medians, ms):');
  out.push('');
  out.push(
    mdTable(
      ['query', 'keydown → search sent', 'search in the browser', 'same via proxy from Node', 'took_ms, histogram not split', 'answer → DOM', 'painted', 'requests/Enter'],
      r.enter.map((e) => [
        queryCell(e),
        formatMs(e.sentMedianMs),
        formatMs(e.browserFetchMedianMs),
        formatMs(e.proxyMedianMs),
        formatMs(e.tookUnsplitMedianMs),
        formatMs(e.renderMedianMs),
        formatMs(e.paintMedianMs),
        String(e.requestsPerEnter),
      ]),
    ),
  );
  const lists = [...new Set(r.enter.map((e) => e.requestList.join(', ')))];
  out.push('');
  out.push(`Requests per Enter: ${lists.join('; or ')}.`);
  out.push('');
  out.push(
    `Times in ms. UI: in the page, from the Enter keydown to the DOM change that shows the count and first row (MutationObserver); painted: the next frame after it. ` +
      `API fetch: the UI's own request body (200 hits and an 80-bucket histogram split by \`level\`) sent from Node straight to the node, answer read and parsed; ` +
      `via proxy: the same through the dashboard's /api/v1; not split: the same body without the histogram's \`split\`, straight to the node. Each timed Enter starts from a search with no hits. p90 is nearest-rank.`,
  );
  out.push('');
  out.push(
    `Peak RSS: node ${formatBytes(r.nodeIngestPeakRssBytes)} during ingest and flush, ${formatBytes(r.nodeQueryPeakRssBytes)} while serving the dashboard; ` +
      `dashboard (next start, process tree) ${formatBytes(r.dashboardPeakRssBytes)}.`,
  );
  for (const n of r.notes) out.push(`Note: ${n}.`);
  return out.join('\n') + '\n';
}
