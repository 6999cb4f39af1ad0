import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { NodeConfigSchema, parseConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';
import { runNode } from './run.ts';
import { startSampleFeed } from './sample-feed.ts';

const USAGE = `usage:
  strata node --data-dir DIR [--port 9400] [--host 127.0.0.1] [--build-threads N] [--merge-threads 1]
              [--syslog-port PORT] [--syslog-index syslog] [--max-body-bytes 67108864] [--max-record-bytes 1048576]
  strata demo [--data-dir ./data] [--port 9400]     a node with sample data flowing in
  strata agent --config agent.yaml [--check]        ship log files to a node`;

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'agent') {
    const { agentMain } = await import('../ingest/agent/index.ts');
    return agentMain(rest);
  }
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
    },
    strict: true,
  });
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
    },
    'command line',
  );
  const log = (m: string) => process.stderr.write(`[strata] ${new Date().toISOString()} ${m}\n`);
  const node = await runNode(cfg, log);
  const port = node.port;
  log(`node ready on http://${cfg.host}:${port} (data in ${cfg.dataDir})`);
  if (node.syslog) log(`syslog (RFC 5424 and 3164) on ${cfg.host}:${node.syslog.port}, UDP and TCP, into index "${cfg.syslogIndex}"`);
  let stopFeed = () => {};
  if (cmd === 'demo') {
    stopFeed = startSampleFeed(`http://${cfg.host}:${port}`, log);
    log(`sample data is flowing into index "demo"; try: curl -s localhost:${port}/api/v1/search -d '{"index":"demo","query":"level:error","size":3}'`);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('shutting down');
    stopFeed();
    await node.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`strata: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
