import { startSyslogReceiver, type SyslogReceiver } from '../ingest/syslog/server.ts';
import { validateIndexName } from '../shards/index.ts';
import type { Engine } from './engine.ts';
import { tally } from './routes/ingest-request.ts';
import type { NodeTls } from './tls.ts';

/**
 * The node's syslog receiver: batches of messages go through the index's pipeline into `syslogIndex`. A batch
 * storage refuses fails back to the receiver, which counts it (syslog senders cannot be asked to resend). UDP and
 * TCP on `syslogPort`, TLS on `syslogTlsPort` with the node's certificate; either may be off.
 */
export async function startNodeSyslog(engine: Engine, tls: NodeTls | null, log: (m: string) => void): Promise<SyslogReceiver | null> {
  const { cfg } = engine;
  if (cfg.syslogPort === null && cfg.syslogTlsPort === null) return null;
  const index = cfg.syslogIndex;
  validateIndexName(index);
  const server = await startSyslogReceiver({
    host: cfg.host,
    port: cfg.syslogPort,
    // loadNodeTls refused syslogTlsPort without a certificate, so tls is there whenever the port is.
    tls: cfg.syslogTlsPort !== null && tls !== null ? { port: cfg.syslogTlsPort, cert: tls.cert, key: tls.key } : undefined,
    maxRecordBytes: cfg.maxRecordBytes,
    log,
    onBatch: async (batch, meta) => {
      const started = performance.now();
      const report = await engine.ingestBatch(index, batch);
      const status = report.failed.length > 0 ? report.failed[0].error.httpStatus : 200;
      tally({ engine }, `syslog-${meta.tls ? 'tls' : meta.transport}`, started, status, 0, report);
      if (report.failed.length > 0) throw report.failed[0].error;
    },
  });
  engine.metrics.observe('strata_syslog_messages_total', 'Syslog messages received, by transport.', ['transport'], () => {
    const s = server.stats();
    return [[{ transport: 'udp' }, s.udp.messages], [{ transport: 'tcp' }, s.tcp.messages], [{ transport: 'tls' }, s.tls.messages]];
  });
  engine.metrics.observe('strata_syslog_bytes_total', 'Syslog bytes received, framing included, by transport.', ['transport'], () => {
    const s = server.stats();
    return [[{ transport: 'udp' }, s.udp.bytes], [{ transport: 'tcp' }, s.tcp.bytes], [{ transport: 'tls' }, s.tls.bytes]];
  });
  engine.metrics.observe(
    'strata_syslog_lost_total',
    'Syslog messages not stored: dropped (UDP while storage was behind), lost (storage refused the batch), or rejected by the receiver (oversize, bad framing).',
    ['cause'],
    () => {
      const s = server.stats();
      const rows: [Record<string, string>, number][] = [[{ cause: 'dropped' }, s.dropped], [{ cause: 'lost' }, s.lost]];
      for (const [code, n] of Object.entries(s.rejected)) rows.push([{ cause: code }, n ?? 0]);
      return rows;
    },
  );
  return server;
}
