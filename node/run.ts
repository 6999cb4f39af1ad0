import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { NodeConfig } from '../lib/config.ts';
import type { SyslogReceiver } from '../ingest/syslog/server.ts';
import { Engine } from './engine.ts';
import { nodeRequestListener } from './server.ts';
import { startNodeSyslog } from './syslog.ts';
import { Security } from './security/index.ts';
import { describeNodeTls, type HandshakeFailures, loadNodeTls, type NodeTls, watchHandshakes } from './tls.ts';

/**
 * How long an idle connection is kept, and so how long a sender may pause an upload that was answered before its
 * body was read (401, 413, 429: Node then reads and drops the rest, and counts this timeout from the answer).
 * Node's 5 s reset such senders under load (the bench's flood saw ECONNRESET instead of its 429s), and the
 * connections of shippers that keep theirs idle longer than that. 65 s outlasts the usual 60 s of load balancers
 * and shippers, as servers behind them are advised; headers must still arrive within 66 s.
 */
const KEEP_ALIVE_MS = 65_000;

/** A node serving: its engine, its HTTP port and, when configured, its syslog receiver. */
export interface RunningNode {
  engine: Engine;
  security: Security;
  /** HTTPS when the node has a certificate (`tlsCert`, `tlsKey`), plain HTTP otherwise. */
  http: Server | HttpsServer;
  /** The HTTP port bound (the configured one, or the one picked for port 0). */
  port: number;
  /** The certificate the HTTP and syslog TLS ports present; null for plain HTTP. */
  tls: NodeTls | null;
  /** `http://host:port` or `https://host:port`, for messages and local clients. */
  url: string;
  syslog: SyslogReceiver | null;
  /** Stops accepting, stores what receivers hold, and closes storage. */
  close(): Promise<void>;
}

export async function runNode(cfg: NodeConfig, log: (m: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<RunningNode> {
  // Before storage opens: a bad certificate path is a mistake on the command line, reported as nothing else happens.
  const tls = loadNodeTls(cfg);
  if (tls !== null) log(describeNodeTls(tls));
  const engine = await Engine.open(cfg, log);
  let security: Security;
  try {
    security = await Security.open(cfg.dataDir, cfg, async (index, ndjson) => void (await engine.ingestNative(index, ndjson, 'ndjson', { pipeline: null })), log, env);
  } catch (e) {
    await engine.close();
    throw e;
  }
  const listener = nodeRequestListener(engine, security, log);
  const handshakes = new Map<string, HandshakeFailures>();
  /** Every TCP connection of the HTTPS port, so that close() can cut the ones still in their handshake too. */
  const raw = new Set<Socket>();
  let http: Server | HttpsServer;
  if (tls === null) http = createServer(listener);
  else {
    // HTTPS only: a port that also answered plain HTTP would let a misconfigured client send credentials in clear.
    // A handshake left hanging is cut after 10 s rather than Node's 2 minutes, so that stalled clients do not pile up.
    const https = createHttpsServer({ cert: tls.cert, key: tls.key, handshakeTimeout: 10_000 }, listener);
    handshakes.set('http', watchHandshakes(https, 'the HTTPS port', log));
    https.on('connection', (s: Socket) => {
      raw.add(s);
      s.once('close', () => raw.delete(s));
    });
    http = https;
  }
  http.keepAliveTimeout = KEEP_ALIVE_MS;
  http.headersTimeout = KEEP_ALIVE_MS + 1000;
  try {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(cfg.port, cfg.host, ok);
    });
  } catch (e) {
    await engine.close();
    throw e;
  }
  let syslog: SyslogReceiver | null = null;
  try {
    syslog = await startNodeSyslog(engine, tls, log);
  } catch (e) {
    http.close();
    await engine.close();
    throw e;
  }
  if (syslog?.tlsListener) handshakes.set('syslog', watchHandshakes(syslog.tlsListener, 'the syslog TLS port', log));
  if (handshakes.size > 0) {
    engine.metrics.observe('strata_tls_handshake_failures_total', 'TLS handshakes that failed, by port and reason (an untrusted certificate, plain text to a TLS port, …).', ['port', 'code'], function* () {
      for (const [port, failures] of handshakes) for (const [code, n] of failures) yield [{ port, code }, n];
    });
  }
  const port = (http.address() as AddressInfo).port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return {
    engine,
    security,
    http,
    port,
    tls,
    url: `${tls === null ? 'http' : 'https'}://${host}:${port}`,
    syslog,
    async close() {
      http.closeAllConnections();
      // closeAllConnections knows only connections past their handshake.
      for (const s of raw) s.destroy();
      const closed = new Promise((ok) => http.close(ok));
      await syslog?.close();
      await closed;
      await security.audit.flush();
      await engine.close();
    },
  };
}
