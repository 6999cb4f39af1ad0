import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StrataError } from '../../lib/errors.ts';
import { splitListen } from './config.ts';
import type { AgentCounters } from './counters.ts';
import type { ShipperStats } from './shipper.ts';

/**
 * Self-monitoring: `GET /metrics` in Prometheus' text format (0.0.4), written by hand rather than with a client
 * library so that the agent stays a small bundle, and `GET /health`. Served only when `metrics.listen` is set.
 */

export interface FileLag {
  path: string;
  key: string;
  /** The file's size now. */
  size: number;
  /** The end of the last record the node acknowledged. */
  committed: number;
}

export interface MetricsSnapshot {
  counters: AgentCounters;
  shipper: ShipperStats;
  pendingBytes: number;
  files: FileLag[];
}

type Sample = [labels: string, value: number];

function family(out: string[], name: string, type: 'counter' | 'gauge', help: string, samples: Sample[] | number): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  if (typeof samples === 'number') out.push(`${name} ${samples}`);
  else for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
}

/** A label value, escaped as the text format wants (backslash, double quote, newline). */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(m: MetricsSnapshot): string {
  const c = m.counters;
  const s = m.shipper;
  const out: string[] = [];
  family(out, 'strata_agent_lines_read_total', 'counter', 'Lines read from files and stdin, syslog messages received, journal entries read.', c.linesRead);
  family(out, 'strata_agent_records_total', 'counter', 'Records made of them (multiline joins lines into one record).', c.records);
  family(out, 'strata_agent_records_processed_total', 'counter', 'Records that went through processors.', c.processed);
  family(out, 'strata_agent_records_shipped_total', 'counter', 'Records the node acknowledged: stored, or already stored (409).', s.stored + s.duplicates);
  const dropped = { ...c.dropped, rejected: s.rejected };
  family(out, 'strata_agent_records_dropped_total', 'counter', 'Records not stored, by reason: drop_processor, parse_error (on_error: drop), rejected (by the node, 4xx), memory_full (syslog over UDP at the memory bound), too_large (journal entries over max_entry_bytes).', Object.entries(dropped).map(([r, v]) => [`{reason="${r}"}`, v]));
  family(out, 'strata_agent_parse_errors_total', 'counter', 'Texts a json or logfmt processor could not parse.', Object.entries(c.parseErrors).map(([p, v]) => [`{processor="${p}"}`, v]));
  family(out, 'strata_agent_batches_retried_total', 'counter', 'Times a batch was sent again after a failed request or items answered 429/5xx.', s.retriedBatches);
  family(out, 'strata_agent_records_retried_total', 'counter', 'Records sent again after a 429 or 5xx of their own.', s.retriedItems);
  family(out, 'strata_agent_requests_total', 'counter', 'Bulk requests sent.', s.requests);
  family(out, 'strata_agent_requests_failed_total', 'counter', 'Bulk requests that failed as a whole (connection, timeout, non-2xx).', s.failedRequests);
  family(out, 'strata_agent_bytes_acknowledged_total', 'counter', 'Input bytes whose records the node acknowledged (file and stdin offsets, syslog message bytes, journalctl output bytes).', c.bytesAcked);
  family(out, 'strata_agent_bytes_sent_total', 'counter', 'Request body bytes sent (after compression).', s.bytesSent);
  family(out, 'strata_agent_multiline_bytes_cut_total', 'counter', 'Bytes cut off multiline records at max_bytes.', c.multilineBytesCut);
  family(out, 'strata_agent_heartbeats_total', 'counter', 'Heartbeats to the node, by outcome: ok (acknowledged), failed (not answered, or not with a 2xx).', [
    ['{outcome="ok"}', c.heartbeatsSent],
    ['{outcome="failed"}', c.heartbeatsFailed],
  ]);
  family(out, 'strata_agent_journalctl_failures_total', 'counter', 'Times journalctl (journald inputs) could not be started or exited; it is started again after a backoff.', c.journalctlFailures);
  family(out, 'strata_agent_pending_bytes', 'gauge', 'Bytes of records read and not yet acknowledged.', m.pendingBytes);
  family(out, 'strata_agent_files', 'gauge', 'Files followed.', m.files.length);
  family(out, 'strata_agent_file_lag_bytes', 'gauge', 'Per file: its size minus the offset the node acknowledged.', m.files.map((f) => [`{path="${label(f.path)}",key="${f.key}"}`, Math.max(0, f.size - f.committed)]));
  return out.join('\n') + '\n';
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `/metrics` and `/health`; anything else is a 404, any method but GET (and HEAD) a 405. */
export async function startMetricsServer(listen: string, metrics: () => Promise<string>, health: () => { ok: boolean; body: Record<string, unknown> }, log: (m: string) => void): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', `${req.method} is not served here: use GET /metrics or GET /health\n`);
    if (path === '/metrics') {
      metrics().then(
        (text) => send(200, 'text/plain; version=0.0.4; charset=utf-8', text),
        (e: unknown) => {
          log(`metrics: ${(e as Error)?.stack ?? String(e)}`);
          send(500, 'text/plain; charset=utf-8', 'the metrics could not be gathered; see the agent log\n');
        },
      );
      return;
    }
    if (path === '/health') {
      const h = health();
      return send(h.ok ? 200 : 503, 'application/json', JSON.stringify(h.body) + '\n');
    }
    send(404, 'text/plain; charset=utf-8', 'not found: the agent serves GET /metrics and GET /health\n');
  });
  const { host, port } = splitListen(listen);
  await new Promise<void>((ok, fail) => {
    server.once('error', (e) => fail(new StrataError('invalid_config', `metrics cannot listen on ${listen}: ${e.message}`, { listen }, { cause: e })));
    server.listen(port, host, () => ok());
  });
  server.removeAllListeners('error');
  server.on('error', (e) => log(`metrics ${listen}: ${e.message}`));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
