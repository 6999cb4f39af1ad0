import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeConfig } from '../lib/config.ts';
import type { SyslogServer } from '../ingest/syslog/server.ts';
import { Engine } from './engine.ts';
import { createNodeServer } from './server.ts';
import { startNodeSyslog } from './syslog.ts';

/** A node serving: its engine, its HTTP port and, when configured, its syslog receiver. */
export interface RunningNode {
  engine: Engine;
  http: Server;
  /** The HTTP port bound (the configured one, or the one picked for port 0). */
  port: number;
  syslog: SyslogServer | null;
  /** Stops accepting, stores what receivers hold, and closes storage. */
  close(): Promise<void>;
}

export async function runNode(cfg: NodeConfig, log: (m: string) => void): Promise<RunningNode> {
  const engine = await Engine.open(cfg, log);
  const http = createNodeServer(engine, log);
  try {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(cfg.port, cfg.host, ok);
    });
  } catch (e) {
    await engine.close();
    throw e;
  }
  let syslog: SyslogServer | null = null;
  try {
    syslog = await startNodeSyslog(engine, log);
  } catch (e) {
    http.close();
    await engine.close();
    throw e;
  }
  return {
    engine,
    http,
    port: (http.address() as AddressInfo).port,
    syslog,
    async close() {
      http.closeAllConnections();
      const closed = new Promise((ok) => http.close(ok));
      await syslog?.close();
      await closed;
      await engine.close();
    },
  };
}
