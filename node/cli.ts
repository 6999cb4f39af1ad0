import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeConfigSchema, parseConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';
import { ensureDashboardBuilt, startDashboard } from './dashboard.ts';
import { runNode } from './run.ts';
import { readCaBundle } from './tls.ts';
import { startDemo } from './demo.ts';
import { allocatorAdvice } from './allocator.ts';
import { USERS_USAGE, usersMain } from './security/users-cli.ts';

const USAGE = `usage:
  strata node --data-dir DIR [--port 9400] [--host 127.0.0.1] [--build-threads N] [--merge-threads 1]
              [--syslog-port PORT] [--syslog-index syslog] [--max-body-bytes 67108864] [--max-record-bytes 1048576]
              [--tls-cert node.pem --tls-key node-key.pem [--syslog-tls-port 6514]]
  strata demo [--data-dir ./data] [--port 9400] [--dashboard-port 3000]
                                                    a node, the dashboard, and sample data flowing in
  strata dashboard [--node http://127.0.0.1:9400] [--port 3000] [--host 127.0.0.1] [--node-ca ca.pem]
                                                    the dashboard, talking to a node
  strata certs --out DIR [--hosts localhost,127.0.0.1] [--days 365]
                                                    a development CA and a node certificate for TLS
${USERS_USAGE}
  strata agent --config agent.yaml [--check]        ship log files to a node
  strata agent enroll --url URL --token TOKEN       fetch an agent config issued by a node
  strata agent install --config agent.yaml [--dry-run]
                                                    write a systemd unit for the agent`;

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'agent') {
    const { agentMain } = await import('../ingest/agent/index.ts');
    return agentMain(rest);
  }
  if (cmd === 'dashboard') return dashboardMain(rest);
  if (cmd === 'certs') return (await import('./certs-cli.ts')).certsMain(rest);
  if (cmd === 'users') process.exit(await usersMain(rest));
  if (cmd !== 'node' && cmd !== 'demo') {
    process.stderr.write(USAGE + '\n');
    process.exit(cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 2);
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'build-threads': { type: 'string' },
      'merge-threads': { type: 'string' },
      'syslog-port': { type: 'string' },
      'syslog-index': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-record-bytes': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'syslog-tls-port': { type: 'string' },
    },
    strict: true,
  });
  if (cmd === 'node' && values['dashboard-port'] !== undefined) throw new StrataError('invalid_config', '--dashboard-port is for `strata demo`; run `strata dashboard` beside a node');
  // The demo's agent and dashboard talk to the node over plain HTTP on this machine.
  if (cmd === 'demo' && (values['tls-cert'] ?? values['tls-key'] ?? values['syslog-tls-port']) !== undefined) throw new StrataError('invalid_config', 'TLS flags are for `strata node`; the demo serves plain HTTP on this machine');
  const dataDir = values['data-dir'] ?? (cmd === 'demo' ? './data' : undefined);
  if (!dataDir) throw new StrataError('invalid_config', '--data-dir is required: where this node keeps its indices');
  const cfg = parseConfig(
    NodeConfigSchema,
    {
      dataDir: resolve(dataDir),
      ...(values.port !== undefined ? { port: Number(values.port) } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values['build-threads'] !== undefined ? { buildThreads: Number(values['build-threads']) } : {}),
      ...(values['merge-threads'] !== undefined ? { mergeThreads: Number(values['merge-threads']) } : {}),
      ...(values['syslog-port'] !== undefined ? { syslogPort: Number(values['syslog-port']) } : {}),
      ...(values['syslog-index'] !== undefined ? { syslogIndex: values['syslog-index'] } : {}),
      ...(values['max-body-bytes'] !== undefined ? { maxBodyBytes: Number(values['max-body-bytes']) } : {}),
      ...(values['max-record-bytes'] !== undefined ? { maxRecordBytes: Number(values['max-record-bytes']) } : {}),
      ...(values['tls-cert'] !== undefined ? { tlsCert: resolve(values['tls-cert']) } : {}),
      ...(values['tls-key'] !== undefined ? { tlsKey: resolve(values['tls-key']) } : {}),
      ...(values['syslog-tls-port'] !== undefined ? { syslogTlsPort: Number(values['syslog-tls-port']) } : {}),
    },
    'command line',
  );
  const log = (m: string) => process.stderr.write(`[strata] ${new Date().toISOString()} ${m}\n`);
  const node = await runNode(cfg, log);
  const port = node.port;
  log(`node ready on ${node.url} (data in ${cfg.dataDir})`);
  const advice = allocatorAdvice();
  if (advice !== null) log(advice);
  if (node.syslog?.port != null) log(`syslog (RFC 5424 and 3164) on ${cfg.host}:${node.syslog.port}, UDP and TCP, into index "${cfg.syslogIndex}"`);
  if (node.syslog?.tlsPort != null) log(`syslog over TLS (RFC 5425) on ${cfg.host}:${node.syslog.tlsPort}, into index "${cfg.syslogIndex}"`);
  let stopDemo = async () => {};
  let dashboard: { url: string; close(): Promise<void> } | null = null;
  if (cmd === 'demo') {
    stopDemo = await startDemo(node, `http://${cfg.host}:${port}`, cfg.dataDir, log);
    log(`sample data is flowing into index "demo"; try: curl -s -u admin localhost:${port}/api/v1/search -d '{"index":"demo","query":"level:error","size":3}'`);
    const dashboardPort = values['dashboard-port'] !== undefined ? Number(values['dashboard-port']) : 3000;
    try {
      await ensureDashboardBuilt(ROOT, log);
      dashboard = await startDashboard({ root: ROOT, nodeUrl: `http://${cfg.host}:${port}`, port: dashboardPort, host: cfg.host, log });
      log(`dashboard ready: open ${dashboard.url}/discover (live tail: ${dashboard.url}/tail)`);
    } catch (e) {
      log(`the dashboard did not start: ${(e as Error).message}`);
    }
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('shutting down');
    await stopDemo();
    await dashboard?.close();
    await node.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** The repository (or installed package) root: where the dashboard's sources and build live. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function dashboardMain(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { node: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'node-ca': { type: 'string' } }, strict: true });
  const nodeUrl = values.node ?? 'http://127.0.0.1:9400';
  if (!/^https?:\/\/[^/]+\/?$/.test(nodeUrl)) throw new StrataError('invalid_config', `--node must be a node's base URL like http://127.0.0.1:9400, got ${JSON.stringify(nodeUrl)}`);
  const port = Number(values.port ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StrataError('invalid_config', `--port must be a port number (1-65535), got ${JSON.stringify(values.port)}`);
  const log = (m: string) => process.stderr.write(`[strata] ${new Date().toISOString()} ${m}\n`);
  const nodeCa = values['node-ca'] !== undefined ? resolve(values['node-ca']) : undefined;
  if (nodeCa !== undefined && !nodeUrl.startsWith('https://')) throw new StrataError('invalid_config', `--node-ca is the CA of an https:// node; --node is ${JSON.stringify(nodeUrl)}`);
  // Checked before a build that may take a minute.
  if (nodeCa !== undefined) readCaBundle(nodeCa, '--node-ca');
  await ensureDashboardBuilt(ROOT, log);
  const d = await startDashboard({ root: ROOT, nodeUrl: nodeUrl.replace(/\/$/, ''), port, host: values.host ?? '127.0.0.1', log, nodeCa });
  log(`dashboard ready on ${d.url}/discover, talking to the node at ${nodeUrl}`);
  const stop = async () => {
    await d.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`strata: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
