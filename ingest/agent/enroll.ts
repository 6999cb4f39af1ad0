import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument } from 'yaml';
import { StrataError } from '../../lib/errors.ts';
import { type AgentConfig, parseAgentConfig } from './config.ts';
import { writeFileDurable } from '../../lib/durable-file.ts';

/**
 * `strata agent enroll`: fetches this host's config from the node with an enrollment token, completes it with
 * what only the host knows (the node's URL as this host reaches it, where offsets live), validates it with the
 * agent's own schema, and writes it readable by its owner only, since it may hold the output's credentials.
 * Nothing is written unless the whole config is valid.
 */

const USAGE = `usage: strata agent enroll --url URL --token TOKEN [--config-out /etc/strata-agent.yaml] [--registry DIR]
  (the token may also come from $STRATA_ENROLLMENT_TOKEN, which keeps it out of the process list)`;

/** Where a config with a file input keeps its offsets when neither the node's config nor --registry says. */
export const DEFAULT_REGISTRY = '/var/lib/strata-agent';
const FETCH_TIMEOUT_MS = 30_000;

export interface EnrollOptions {
  url: string;
  token: string;
  configOut: string;
  registry?: string;
}

export interface Enrolled {
  path: string;
  cfg: AgentConfig;
}

/** Fetches, completes, validates and writes the config. */
export async function enroll(o: EnrollOptions): Promise<Enrolled> {
  let base: URL;
  try {
    base = new URL(o.url);
  } catch {
    throw new StrataError('invalid_config', `--url must be the node's URL, like http://10.0.0.5:9400, got ${JSON.stringify(o.url)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new StrataError('invalid_config', `--url must be an http:// or https:// URL, got ${JSON.stringify(o.url)}`);
  const nodeUrl = base.href.replace(/\/+$/, '');
  const endpoint = `${nodeUrl}/api/v1/agents/enroll`;
  let res: Response;
  try {
    res = await fetch(endpoint, { headers: { authorization: `Bearer ${o.token}`, accept: 'application/yaml' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new StrataError('invalid_request', `cannot reach ${endpoint}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  if (res.status !== 200) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // Not Strata's JSON error (a proxy's page?): its start is the best clue.
    }
    throw new StrataError('invalid_request', `${endpoint} answered ${res.status}: ${message}`);
  }

  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new StrataError('invalid_config', `${endpoint} did not answer an agent config (YAML mapping)${doc.errors.length > 0 ? `: ${doc.errors[0].message}` : ''}`);
  }
  // Set through the document, so that the node's comments stay in the file.
  const output = doc.get('output');
  if (isMap(output) && !output.has('urls')) doc.setIn(['output', 'urls'], doc.createNode([nodeUrl], { flow: true }));
  const needsRegistry = (() => {
    const inputs = doc.get('inputs');
    return isSeq(inputs) && inputs.items.some((i) => isMap(i) && (i.get('type') === 'file' || i.get('type') === 'journald'));
  })();
  if (o.registry !== undefined) {
    const registry = resolve(o.registry);
    if (isMap(doc.get('registry'))) doc.setIn(['registry', 'path'], registry);
    else doc.set('registry', registry);
  } else if (!doc.has('registry') && needsRegistry) doc.set('registry', DEFAULT_REGISTRY);

  const path = resolve(o.configOut);
  const cfg = parseAgentConfig(doc.toJS(), `agent config from ${endpoint}`, dirname(path));
  const header = `# Written by \`strata agent enroll\` from ${nodeUrl} at ${new Date().toISOString()}.\n`;
  writeFileDurable(path, header + String(doc), 'the agent config', { mode: 0o600 });
  return { path, cfg };
}

export async function enrollMain(argv: string[], self: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'config-out': { type: 'string' },
      registry: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const token = values.token ?? process.env.STRATA_ENROLLMENT_TOKEN;
  if (values.url === undefined || token === undefined || token === '') {
    throw new StrataError('invalid_config', `--url and --token are required: the node to enroll with, and a token it issued (POST /api/v1/agents/enrollment_tokens)\n${USAGE}`);
  }
  const { path, cfg } = await enroll({ url: values.url, token, configOut: values['config-out'] ?? '/etc/strata-agent.yaml', registry: values.registry });
  const from = cfg.inputs.map((i) => (i.type === 'file' ? i.paths.join(', ') : i.type === 'syslog' ? `syslog ${i.protocol} ${i.listen}` : i.type === 'journald' ? 'journald' : 'stdin'));
  const say = (m: string) => process.stdout.write(m + '\n');
  say(`enrolled with ${values.url}: wrote ${path} (mode 0600)`);
  say(`  ships ${from.join(', ')} to ${cfg.output.urls.join(', ')}, index "${cfg.output.index}"`);
  say(`  ${cfg.registry === undefined ? 'keeps no registry' : `keeps its offsets in ${cfg.registry.path}`}`);
  const cmd = ['node', ...self].join(' ');
  say(`next: ${cmd} install --config ${path}    (or run it now: ${cmd} --config ${path})`);
}
