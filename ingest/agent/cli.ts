import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StrataError } from '../../lib/errors.ts';
import { startAgent } from './agent.ts';
import { type JournaldInputConfig, loadAgentConfig } from './config.ts';
import { enrollMain } from './enroll.ts';
import { installMain } from './install.ts';

const USAGE = `usage:
  strata agent --config agent.yaml [--check]     ship files, stdin or syslog to a node (--check: validate the config and exit)
  strata agent enroll --url URL --token TOKEN [--config-out /etc/strata-agent.yaml] [--registry DIR]
                                                 fetch this host's config from a node with an enrollment token
  strata agent install --config agent.yaml [--dry-run] [--unit-dir /etc/systemd/system] [--user strata]
                                                 write a systemd unit running the agent (--dry-run: print it)`;

export interface AgentCliOptions {
  /**
   * The script (and the words after it) that runs this CLI, as a systemd unit's ExecStart should name it after
   * the node binary: the bundle itself when running from it; `bin/strata.js agent` by default.
   */
  self?: string[];
}

/** `strata agent [enroll | install] …`. */
export async function agentMain(argv: string[], opts: AgentCliOptions = {}): Promise<void> {
  const self = opts.self ?? [resolve(import.meta.dirname, '../../bin/strata.js'), 'agent'];
  if (argv[0] === 'install') return installMain(argv.slice(1), self);
  if (argv[0] === 'enroll') return enrollMain(argv.slice(1), self);
  return runMain(argv);
}

/**
 * `strata agent`: runs until SIGINT or SIGTERM, then lets batches in flight finish and writes the registry. With a
 * stdin input, it also exits (0) once stdin has ended and everything read from it is acknowledged.
 */
async function runMain(argv: string[]): Promise<void> {
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
  const journaldWhat = (i: JournaldInputConfig) => `journald ${i.directory ?? i.files?.join(' ') ?? '(system journal)'}${i.units.length > 0 ? ` units ${i.units.join(' ')}` : ''}`;
  const syslogPorts = [...agent.ports.syslog];
  const at = (listen: string, port: number | undefined) => listen.replace(/:\d+$/, `:${port}`);
  const from = cfg.inputs.map((i) => (i.type === 'file' ? i.paths.join(', ') : i.type === 'syslog' ? `syslog ${i.protocol} ${at(i.listen, syslogPorts.shift())}` : i.type === 'journald' ? journaldWhat(i) : 'stdin'));
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
