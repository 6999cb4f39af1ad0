import { parseArgs } from 'node:util';
import { StrataError } from '../../lib/errors.ts';
import { startAgent } from './agent.ts';
import { loadAgentConfig } from './config.ts';

const USAGE = `usage:
  strata agent --config agent.yaml [--check]     ship files, stdin or syslog to a node (--check: validate the config and exit)`;

/**
 * `strata agent`: runs until SIGINT or SIGTERM, then lets batches in flight finish and writes the registry. With a
 * stdin input, it also exits (0) once stdin has ended and everything read from it is acknowledged.
 */
export async function agentMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (values.config === undefined) throw new StrataError('invalid_config', `--config is required: the agent's YAML file\n${USAGE}`);
  const cfg = loadAgentConfig(values.config);
  if (values.check) {
    process.stdout.write(`${values.config}: valid\n`);
    return;
  }
  const log = (m: string) => process.stderr.write(`[strata-agent] ${new Date().toISOString()} ${m}\n`);
  const agent = await startAgent(cfg, log);
  const syslogPorts = [...agent.ports.syslog];
  const at = (listen: string, port: number | undefined) => listen.replace(/:\d+$/, `:${port}`);
  const from = cfg.inputs.map((i) => (i.type === 'file' ? i.paths.join(', ') : i.type === 'syslog' ? `syslog ${i.protocol} ${at(i.listen, syslogPorts.shift())}` : 'stdin'));
  const where = cfg.registry === undefined ? 'no registry' : `registry in ${cfg.registry.path}`;
  log(`shipping ${from.join(', ')} to ${cfg.output.urls.join(', ')} (index "${cfg.output.index}"), ${where}`);
  if (cfg.metrics !== undefined) log(`metrics on http://${at(cfg.metrics.listen, agent.ports.metrics ?? undefined)}/metrics`);
  let exiting = false;
  const stop = async (code: number) => {
    if (exiting) return;
    exiting = true;
    log('stopping');
    await agent.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  // Resolved on its own only when stdin, its only input, has ended and everything read from it is acknowledged.
  agent.stopped.then(
    () => void stop(0),
    () => void stop(1),
  );
}
