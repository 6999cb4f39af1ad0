import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../lib/durable-file.ts';
import { storageError } from '../../lib/errors.ts';
import type { AgentConfig } from './config.ts';

/**
 * The agent's id in the node's agent list: it must stay the same across restarts, or every restart would add an
 * agent to the list and leave the old one to go stale. With a registry it is drawn at random once and kept there
 * (`agent.id`, see format.md); a run without a registry (stdin and syslog only) has nowhere to keep it, so its id
 * is derived from what makes it that agent: its host name, inputs and index.
 */

export const AGENT_ID_FILE = 'agent.id';
const ID_RE = /^[0-9a-f]{32}$/;

/** The id kept in `dir`, or a new one written there first. A damaged file is replaced (with a log line). */
export function persistedAgentId(dir: string, log: (m: string) => void): string {
  const path = join(dir, AGENT_ID_FILE);
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (ID_RE.test(text)) return text;
    log(`${path} does not hold an agent id; drawing a new one (the node will list this agent anew)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(e, 'read the agent id', path);
  }
  const id = randomBytes(16).toString('hex');
  writeFileDurable(path, id + '\n', 'the agent id');
  return id;
}

/** The id of a run without a registry: the same config on the same host gives the same id. */
export function derivedAgentId(cfg: AgentConfig, host: string): string {
  const inputs = cfg.inputs.map((i) => (i.type === 'file' ? ['file', ...i.paths] : i.type === 'syslog' ? ['syslog', i.protocol, i.listen] : i.type === 'journald' ? ['journald', i.id ?? '', i.directory ?? '', ...(i.files ?? [])] : ['stdin']));
  return createHash('sha256')
    .update(JSON.stringify([host, cfg.name ?? null, cfg.output.index, inputs]))
    .digest('hex')
    .slice(0, 32);
}
