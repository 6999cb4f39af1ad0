import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StrataError } from '../../lib/errors.ts';
import { type AgentConfig, loadAgentConfig, splitListen } from './config.ts';
import { writeFileDurable } from '../../lib/durable-file.ts';

/**
 * `strata agent install`: writes a systemd unit that runs the agent as a service. It validates the config first
 * and only writes the unit: enabling it (`systemctl`) is left to the operator, who sees what will run first.
 *
 * The unit confines the agent to what a shipper needs: it reads files (the whole file system read-only), writes
 * its registry (the only writable path), talks to the node and serves syslog and metrics over the network. No
 * `MemoryDenyWriteExecute`: V8's JIT needs writable, executable memory.
 */

export const UNIT_NAME = 'strata-agent.service';
const USAGE = `usage: strata agent install --config agent.yaml [--dry-run] [--unit-dir /etc/systemd/system] [--user strata]`;

export interface UnitOptions {
  /** The config file, absolute. */
  configPath: string;
  /** What runs the agent: the node binary, then the script and the words before `--config`. */
  command: string[];
  user: string;
}

/**
 * One word of a systemd command line or path list: bare when it is plain, else double-quoted with `\` and `"`
 * escaped. `%` (specifiers) and `$` (variables) are doubled either way, so that a path holding them is taken
 * literally.
 */
export function systemdWord(s: string): string {
  const literal = s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_\/.:@+=,-]+$/.test(s) ? literal : `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The unit's text for a validated config. */
export function renderUnit(cfg: AgentConfig, o: UnitOptions): string {
  const run = [...o.command, '--config', o.configPath].map(systemdWord).join(' ');
  const registry = cfg.registry?.path;
  // Under /var/lib, systemd creates the registry directory for the service's user (StateDirectory), and it is
  // writable under ProtectSystem=strict; anywhere else it is named writable and must exist.
  const state = registry !== undefined && /^\/var\/lib\/[^/]/.test(registry) ? registry.slice('/var/lib/'.length).replace(/\/+$/, '') : null;
  const lowPorts = cfg.inputs.some((i) => i.type === 'syslog' && splitListen(i.listen).port > 0 && splitListen(i.listen).port < 1024);
  const stopS = Math.ceil(cfg.shutdown_timeout_ms / 1000) + 10;
  const lines = [
    `# Written by \`strata agent install\`: the Strata log shipper, with the config ${o.configPath}.`,
    `# Edit the config, not this file; run \`strata agent install\` again after moving it.`,
    '[Unit]',
    'Description=Strata log shipper agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${systemdWord(o.user)}`,
    `Group=${systemdWord(o.user)}`,
    '# A config that does not validate stops the start here, with its message in the journal.',
    `ExecStartPre=${run} --check`,
    `ExecStart=${run}`,
    'Restart=always',
    'RestartSec=5',
    // SIGTERM lets batches in flight finish for shutdown_timeout_ms and writes the registry.
    `TimeoutStopSec=${stopS}`,
    ...(state !== null ? [`StateDirectory=${systemdWord(state)}`, 'StateDirectoryMode=0700'] : []),
    ...(registry !== undefined && state === null ? [`ReadWritePaths=${systemdWord(registry)}`] : []),
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    ...(lowPorts ? ['# A syslog input listens on a port below 1024.', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'] : ['CapabilityBoundingSet=']),
    'UMask=0077',
    '# Logs under /var/log are often readable by group adm only (Debian, Ubuntu):',
    '# SupplementaryGroups=adm',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/** The uid and gid of a user in /etc/passwd, or null when it is not there. */
function passwdEntry(user: string): { uid: number; gid: number } | null {
  let text: string;
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** What the operator still has to see to, besides enabling the unit. */
function notes(cfg: AgentConfig, o: UnitOptions): string[] {
  const out: string[] = [];
  const pw = passwdEntry(o.user);
  if (pw === null) out.push(`the user ${o.user} does not exist here; create it: useradd --system --no-create-home --shell /usr/sbin/nologin ${o.user}`);
  const st = statSync(o.configPath);
  const readable = (st.mode & 0o004) !== 0 || (pw !== null && (st.uid === pw.uid ? (st.mode & 0o400) !== 0 : st.gid === pw.gid && (st.mode & 0o040) !== 0));
  if (!readable && o.user !== 'root') out.push(`${o.user} cannot read ${o.configPath} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): chgrp ${o.user} ${o.configPath} && chmod 0640 ${o.configPath}`);
  const registry = cfg.registry?.path;
  if (registry !== undefined && !/^\/var\/lib\/[^/]/.test(registry)) out.push(`the registry ${registry} must exist and be writable by ${o.user}: install -d -o ${o.user} -m 0700 ${registry}`);
  if (cfg.inputs.some((i) => i.type === 'file')) out.push(`${o.user} must be able to read the log files (for /var/log on Debian and Ubuntu: usermod -aG adm ${o.user}, and uncomment SupplementaryGroups=adm)`);
  if (cfg.inputs.some((i) => i.type === 'journald')) out.push(`${o.user} must be able to read the journal: usermod -aG systemd-journal ${o.user} (else journalctl shows it only its own entries)`);
  return out;
}

/** Parses `install`'s arguments, validates the config, and prints or writes the unit. */
export async function installMain(argv: string[], self: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      'dry-run': { type: 'boolean' },
      'unit-dir': { type: 'string' },
      user: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (values.config === undefined) throw new StrataError('invalid_config', `--config is required: the agent's YAML file the service runs with\n${USAGE}`);
  const user = values.user ?? 'strata';
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(user)) throw new StrataError('invalid_config', `--user must be a user name (letters, digits, "_", ".", "-"), got ${JSON.stringify(user)}`);
  const configPath = resolve(values.config);
  const cfg = loadAgentConfig(configPath);
  if (cfg.inputs.some((i) => i.type === 'stdin')) {
    throw new StrataError('invalid_config', `${configPath} reads stdin, and a service has no standard input to ship: use file or syslog inputs`);
  }
  const o: UnitOptions = { configPath, command: [process.execPath, ...self], user };
  const unit = renderUnit(cfg, o);
  const say = (m: string) => process.stderr.write(m + '\n');
  if (values['dry-run']) {
    process.stdout.write(unit);
    for (const n of notes(cfg, o)) say(`note: ${n}`);
    return;
  }
  const dir = resolve(values['unit-dir'] ?? '/etc/systemd/system');
  if (!existsSync(dir)) throw new StrataError('invalid_config', `the unit directory ${dir} does not exist: is this a systemd host? (--unit-dir names another)`);
  const path = join(dir, UNIT_NAME);
  writeFileDurable(path, unit, 'the systemd unit', { mode: 0o644 });
  say(`wrote ${path}: runs ${o.command.join(' ')} --config ${configPath} as ${user}`);
  for (const n of notes(cfg, o)) say(`note: ${n}`);
  say('then start it (and at every boot), as root:\n  systemctl daemon-reload && systemctl enable --now strata-agent');
}
