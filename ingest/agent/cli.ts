import { parseArgs } from 'node:util';
import { StrataError } from '../../lib/errors.ts';
import { startAgent } from './agent.ts';
import { loadAgentConfig } from './config.ts';

const USAGE = `usage:
  strata agent --config agent.yaml [--check]     ship files to a node (--check: validate the config and exit)`;

/** `strata agent`: runs until SIGINT or SIGTERM, then lets batches in flight finish and writes the registry. */
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
  log(`shipping ${cfg.inputs.flatMap((i) => i.paths).join(', ')} to ${cfg.output.urls.join(', ')} (index "${cfg.output.index}"), registry in ${cfg.registry.path}`);
  const stop = async (code: number) => {
    log('stopping');
    await agent.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  agent.stopped.then(
    () => {},
    () => void stop(1),
  );
}
