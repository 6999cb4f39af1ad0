import { Counter, Histogram, Registry } from 'prom-client';
import type { Rejection } from '../ingest/index.ts';

/** What one ingest request came to, for counting. */
export interface IngestTally {
  endpoint: string;
  status: number;
  bytes: number;
  received: number;
  accepted: number;
  dropped: number;
  rejected: readonly Rejection[];
  seconds: number;
}

/**
 * The node's counters in the Prometheus text format (`GET /metrics`). A registry per node, not prom-client's
 * global one, so that several nodes in one process (tests) keep their own counts.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private requests = new Counter({ name: 'strata_ingest_requests_total', help: 'Ingest requests by endpoint and HTTP status.', labelNames: ['endpoint', 'status'], registers: [this.registry] });
  private bytes = new Counter({ name: 'strata_ingest_bytes_total', help: 'Request body bytes received for ingest, after decompression.', labelNames: ['endpoint'], registers: [this.registry] });
  private records = new Counter({
    name: 'strata_ingest_records_total',
    help: 'Records by endpoint and outcome: received (decoded or refused), accepted (stored), rejected, dropped (by a pipeline).',
    labelNames: ['endpoint', 'outcome'],
    registers: [this.registry],
  });
  private rejections = new Counter({ name: 'strata_ingest_rejected_total', help: 'Rejected records by endpoint and reason.', labelNames: ['endpoint', 'reason'], registers: [this.registry] });
  private latency = new Histogram({
    name: 'strata_ingest_request_duration_seconds',
    help: 'Time from the request to its answer, by endpoint (includes waiting for fsync).',
    labelNames: ['endpoint'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  tally(t: IngestTally): void {
    const endpoint = t.endpoint;
    this.requests.inc({ endpoint, status: String(t.status) });
    if (t.bytes > 0) this.bytes.inc({ endpoint }, t.bytes);
    if (t.received > 0) this.records.inc({ endpoint, outcome: 'received' }, t.received);
    if (t.accepted > 0) this.records.inc({ endpoint, outcome: 'accepted' }, t.accepted);
    if (t.dropped > 0) this.records.inc({ endpoint, outcome: 'dropped' }, t.dropped);
    if (t.rejected.length > 0) {
      this.records.inc({ endpoint, outcome: 'rejected' }, t.rejected.length);
      const byCode = new Map<string, number>();
      for (const r of t.rejected) byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
      for (const [reason, n] of byCode) this.rejections.inc({ endpoint, reason }, n);
    }
    this.latency.observe({ endpoint }, t.seconds);
  }

  /**
   * Counters kept elsewhere (pipelines, the syslog receiver), read when scraped: `read` gives each label set's
   * current total.
   */
  observe(name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, v] of read()) if (v > 0) this.inc(labels, v);
      },
    });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
