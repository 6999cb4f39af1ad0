import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAgentConfig } from './config.ts';
import { installMain, renderUnit, systemdWord } from './install.ts';
import { tempDir } from './testing.ts';

/** `strata agent install`: the unit it prints and writes, run as the CLI a person runs. */

const BIN = resolve(import.meta.dirname, '../../bin/strata.js');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'agent', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `Key=value` lines of a unit, by key (a key may repeat). */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

test('--dry-run prints the unit: ExecStart with the absolute node and entry, Restart=always, the hardening set; writes nothing', (t) => {
  const dir = tempDir('install-dry');
  t.after(() => dir.remove());
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(config, `registry: reg\ninputs: [{ type: file, paths: ["logs/*.log"] }]\noutput: { urls: ["http://127.0.0.1:9400"], index: app }\nshutdown_timeout_ms: 20000\n`);
  const units = join(dir.path, 'units');
  mkdirSync(units);
  const r = cli('install', '--config', config, '--dry-run', '--unit-dir', units, '--user', 'logship');
  assert.equal(r.code, 0, r.stderr);
  const d = directives(r.stdout);
  assert.deepEqual(d.get('ExecStart'), [`${process.execPath} ${BIN} agent --config ${config}`]);
  assert.deepEqual(d.get('ExecStartPre'), [`${process.execPath} ${BIN} agent --config ${config} --check`]);
  assert.deepEqual(d.get('User'), ['logship']);
  assert.deepEqual(d.get('Restart'), ['always']);
  assert.deepEqual(d.get('TimeoutStopSec'), ['30']);
  // The registry (relative in the config, so under the config's directory) is the one writable path.
  assert.deepEqual(d.get('ReadWritePaths'), [join(dir.path, 'reg')]);
  assert.equal(d.get('StateDirectory'), undefined);
  for (const [k, v] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'read-only'],
    ['PrivateTmp', 'yes'],
    ['RestrictSUIDSGID', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['WantedBy', 'multi-user.target'],
  ]) {
    assert.deepEqual(d.get(k), [v], k);
  }
  assert.ok(r.stdout.startsWith('# Written by `strata agent install`'));
  assert.match(r.stdout, /\n\[Unit\]\n[\s\S]*\n\[Service\]\n[\s\S]*\n\[Install\]\n/);
  assert.match(r.stderr, /note: the registry .* must exist and be writable by logship/);
  assert.equal(existsSync(join(units, 'strata-agent.service')), false);
});

test('writing into --unit-dir: the same unit, mode 0644, and the systemctl line to run next', (t) => {
  const dir = tempDir('install-write');
  t.after(() => dir.remove());
  const config = join(dir.path, 'agent.yaml');
  writeFileSync(config, `inputs: [{ type: syslog, listen: "0.0.0.0:514", protocol: tcp }]\noutput: { urls: ["http://127.0.0.1:9400"], index: syslog }\n`);
  const units = join(dir.path, 'units');
  mkdirSync(units);
  const dry = cli('install', '--config', config, '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  const r = cli('install', '--config', config, '--unit-dir', units);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const path = join(units, 'strata-agent.service');
  assert.equal(readFileSync(path, 'utf8'), dry.stdout);
  assert.equal(statSync(path).mode & 0o777, 0o644);
  assert.match(r.stderr, new RegExp(`wrote ${path}: runs .* as strata`));
  assert.match(r.stderr, /systemctl daemon-reload && systemctl enable --now strata-agent/);
  const d = directives(dry.stdout);
  assert.deepEqual(d.get('User'), ['strata']);
  // Port 514 needs the one capability; no registry, so no writable path at all.
  assert.deepEqual(d.get('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(d.get('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
  assert.equal(d.get('ReadWritePaths'), undefined);
});

test('a config that does not validate, a stdin config, a bad user or a missing unit directory: exit 1, nothing written', async (t) => {
  const dir = tempDir('install-bad');
  t.after(() => dir.remove());
  const units = join(dir.path, 'units');
  mkdirSync(units);
  const bad = join(dir.path, 'bad.yaml');
  writeFileSync(bad, `inputs: [{ type: file, paths: ["/x/*.log"] }]\noutput: { urls: ["http://127.0.0.1:9400"], index: app }\n`);
  const stdin = join(dir.path, 'stdin.yaml');
  writeFileSync(stdin, `inputs: [{ type: stdin }]\noutput: { urls: ["http://127.0.0.1:9400"], index: app }\n`);
  const cases: [string[], RegExp][] = [
    [['--config', bad], /registry: required with a file input/],
    [['--config', stdin], /a service has no standard input/],
    [['--config', stdin.replace('stdin', 'missing')], /cannot read the agent config/],
    [['--config', bad, '--user', 'a b'], /--user must be a user name/],
    [['--dry-run'], /--config is required/],
  ];
  // One through the CLI, for its exit code and message; the rest in this process (each CLI start costs seconds).
  const r = cli('install', '--unit-dir', units, ...cases[0][0]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^strata: invalid agent config .*registry: required with a file input/);
  for (const [args, want] of cases) await assert.rejects(installMain(['--unit-dir', units, ...args], [BIN, 'agent']), want, args.join(' '));
  const ok = join(dir.path, 'ok.yaml');
  writeFileSync(ok, `inputs: [{ type: syslog, listen: "127.0.0.1:5140" }]\noutput: { urls: ["http://127.0.0.1:9400"], index: app }\n`);
  await assert.rejects(installMain(['--config', ok, '--unit-dir', join(dir.path, 'nope')], [BIN, 'agent']), /does not exist: is this a systemd host\?/);
  assert.equal(existsSync(join(units, 'strata-agent.service')), false);
});

test('a registry under /var/lib becomes the StateDirectory; words with spaces, quotes, % and $ are quoted for systemd', () => {
  const cfg = parseAgentConfig({ registry: '/var/lib/strata-agent', inputs: [{ type: 'file', paths: ['/var/log/*.log'] }], output: { urls: ['http://127.0.0.1:9400'], index: 'a' } }, 'test');
  const d = directives(renderUnit(cfg, { configPath: '/etc/my agent/a%1.yaml', command: ['/usr/bin/node', '/opt/strata-agent.mjs'], user: 'strata' }));
  assert.deepEqual(d.get('StateDirectory'), ['strata-agent']);
  assert.deepEqual(d.get('StateDirectoryMode'), ['0700']);
  assert.equal(d.get('ReadWritePaths'), undefined);
  assert.deepEqual(d.get('ExecStart'), ['/usr/bin/node /opt/strata-agent.mjs --config "/etc/my agent/a%%1.yaml"']);
  const cases: [string, string][] = [
    ['/usr/bin/node', '/usr/bin/node'],
    ['/a b', '"/a b"'],
    ['/a"b', '"/a\\"b"'],
    ['/a\\b', '"/a\\\\b"'],
    ['/a%b', '"/a%%b"'],
    ['/a$b', '"/a$$b"'],
    ['', '""'],
  ];
  for (const [word, want] of cases) assert.equal(systemdWord(word), want, word);
});
