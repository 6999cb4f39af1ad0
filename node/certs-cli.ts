import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { StrataError } from '../lib/errors.ts';
import { DEFAULT_CA_DAYS, DEFAULT_NODE_DAYS, defaultHosts, generateCerts } from './certs.ts';

export const CERTS_USAGE = `usage: strata certs --out DIR [--hosts localhost,127.0.0.1,::1,HOSTNAME] [--days ${DEFAULT_NODE_DAYS}]
                    [--name node] [--ca-days ${DEFAULT_CA_DAYS}]
  Writes a development CA (DIR/ca.pem, DIR/ca-key.pem) unless DIR has one, and a node certificate signed by it
  (DIR/<name>.pem, DIR/<name>-key.pem) for the given host names and IP addresses. Keys are written mode 0600.`;

/** `strata certs`: writes the files, then says how to start a node with them and how clients trust it. */
export async function certsMain(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      hosts: { type: 'string' },
      days: { type: 'string' },
      'ca-days': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(CERTS_USAGE + '\n');
    return;
  }
  if (values.out === undefined) throw new StrataError('invalid_config', `--out is required: the directory to write the certificates to\n${CERTS_USAGE}`);
  const hosts = values.hosts === undefined ? defaultHosts() : values.hosts.split(',').map((h) => h.trim()).filter((h) => h !== '');
  const r = await generateCerts({
    outDir: values.out,
    hosts,
    days: Number(values.days ?? DEFAULT_NODE_DAYS),
    caDays: Number(values['ca-days'] ?? DEFAULT_CA_DAYS),
    name: values.name ?? 'node',
  });
  // Paths as the user may type them: relative to where they ran the command, when that is shorter.
  const show = (p: string) => {
    const rel = relative(process.cwd(), p);
    return rel !== '' && !rel.startsWith('..') && rel.length < p.length ? rel : p;
  };
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const url = `https://${hosts[0].includes(':') ? `[${hosts[0]}]` : hosts[0]}:9400`;
  const lines = [
    r.caCreated
      ? `created a CA: ${show(r.caFile)} (its key ${show(r.caKeyFile)}, mode 0600; valid until ${day(r.caNotAfter)})`
      : `kept the CA in ${show(r.caFile)} (${r.caSubject}; valid until ${day(r.caNotAfter)})`,
    `wrote ${show(r.certFile)} and ${show(r.keyFile)} (mode 0600) for ${r.hosts.join(', ')}, valid until ${day(r.notAfter)}`,
    ...(r.cutToCa ? [`  (cut to the CA's own end: --days reached past it)`] : []),
    '',
    'start a node with them (add --syslog-tls-port 6514 for syslog over TLS):',
    `  strata node --data-dir ./data --tls-cert ${show(r.certFile)} --tls-key ${show(r.keyFile)}`,
    `clients trust the node through ${show(r.caFile)}:`,
    `  curl --cacert ${show(r.caFile)} ${url}/api/v1/health`,
    `  agent config:  output: { urls: ["${url}"], tls: { ca: ${r.caFile} } }`,
    `  dashboard:     strata dashboard --node ${url} --node-ca ${show(r.caFile)}`,
    '',
  ];
  out.write(lines.join('\n'));
}
