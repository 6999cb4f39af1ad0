import { fileURLToPath } from 'node:url';
import { agentMain } from './cli.ts';

/**
 * The entry of the single-file bundle (`npm run build:agent` → dist/strata-agent.mjs): the agent's CLI without the
 * rest of Strata, so that a host needs only `node` and this one file. `node strata-agent.mjs --config a.yaml`, as
 * `strata agent --config a.yaml` (a leading `agent` is accepted too); `install` writes a unit that runs this file.
 */
const argv = process.argv.slice(2);
if (argv[0] === 'agent') argv.shift();
agentMain(argv, { self: [fileURLToPath(import.meta.url)] }).catch((e: unknown) => {
  process.stderr.write(`strata-agent: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
