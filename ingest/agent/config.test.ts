import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgentConfig, parseAgentConfig } from './config.ts';
import { tempDir } from './testing.ts';

const dir = tempDir('config');
process.on('exit', () => dir.remove());

function write(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

test('the minimal config of issue 4 is valid as it stands, with every default named', () => {
  const cfg = loadAgentConfig(
    write(
      'minimal.yaml',
      `registry: /var/lib/strata-agent        # where offsets are kept
inputs:
  - type: file
    paths: ["/var/log/app/*.log"]
output:
  urls: ["http://127.0.0.1:9400"]
  index: app
  auth: { api_key: "..." }             # or { username: ..., password: ... }
`,
    ),
  );
  assert.equal(cfg.registry?.path, '/var/lib/strata-agent');
  assert.equal(cfg.registry?.write_interval_ms, 200);
  assert.equal(cfg.inputs[0].type, 'file');
  assert.deepEqual(cfg.inputs[0].paths, ['/var/log/app/*.log']);
  assert.ok(cfg.inputs[0].exclude.includes('*.gz'));
  assert.equal(cfg.inputs[0].fingerprint_bytes, 1024);
  assert.deepEqual(cfg.output.auth, { api_key: '...' });
  assert.deepEqual(cfg.output.batch, { max_records: 2000, max_bytes: 4 * 1024 * 1024, max_wait_ms: 1000 });
  assert.deepEqual(cfg.output.retry, { initial_backoff_ms: 250, max_backoff_ms: 30_000, max_retry_after_ms: 300_000 });
  assert.equal(cfg.output.compression, 'gzip');
  assert.equal(cfg.memory.max_pending_bytes, 64 * 1024 * 1024);
});

test('relative paths follow the config file, not the working directory', () => {
  mkdirSync(join(dir.path, 'etc'));
  const cfg = loadAgentConfig(
    write('etc/rel.yaml', `registry: state\ninputs: [{type: file, paths: ["logs/*.log", "/abs/x.log"]}]\noutput: {urls: ["http://n:9400"], index: app}\n`),
  );
  assert.equal(cfg.registry?.path, join(dir.path, 'etc', 'state'));
  assert.equal(cfg.inputs[0].type, 'file');
  assert.deepEqual(cfg.inputs[0].paths, [join(dir.path, 'etc', 'logs/*.log'), '/abs/x.log']);
});

const base = { registry: '/r', inputs: [{ type: 'file', paths: ['/l/*.log'] }], output: { urls: ['http://n:9400'], index: 'app' } };

test('every bad key is named with its path', () => {
  const check = (over: Record<string, unknown>, want: RegExp[]) => {
    assert.throws(
      () => parseAgentConfig({ ...base, ...over }, 'cfg'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'invalid_config');
        for (const re of want) assert.match(e.message, re);
        return true;
      },
    );
  };
  check({ output: { ...base.output, urll: 'x' } }, [/output\.urll: unknown key; expected one of urls, index, auth/]);
  check({ inputs: [{ type: 'file', paths: '/x' }] }, [/inputs\.0\.paths: .*expected array/]);
  check({ inputs: [{ type: 'kafka' }] }, [/inputs\.0\.type: unknown input type; supported: file, stdin, syslog, journald/]);
  check({ output: { ...base.output, urls: ['ftp://x'] } }, [/output\.urls\.0: an http:\/\/ or https:\/\/ URL/]);
  check({ output: { ...base.output, index: 'App' } }, [/output\.index: an index name/]);
  check({ output: { ...base.output, auth: { api_key: 'k', username: 'u', password: 'p' } } }, [/output\.auth: give either api_key, or username and password, not both/]);
  check({ output: { ...base.output, auth: { username: 'u' } } }, [/output\.auth: username and password go together/]);
  check({ output: { ...base.output, batch: { max_records: 0, max_wait: 5 } } }, [/output\.batch\.max_records: /, /output\.batch\.max_wait: unknown key/]);
  check({ memory: { max_pending_bytes: 100_000 } }, [/memory\.max_pending_bytes: must be at least output\.batch\.max_bytes/]);
  check({ fields: { message: 'x' }, inputs: [{ type: 'file', paths: ['/x'], fields: { 'host.name': 'h' } }] }, [/fields\.message: set by the agent itself/, /inputs\.0\.fields\.host\.name: set by the agent itself/]);
  check({ registry: { path: '/r', forget_after: 'soon' } }, [/registry\.forget_after: a duration/]);
  check({ output: undefined }, [/output: /]);
});

test('YAML errors name the file and the line; a missing file says so', () => {
  assert.throws(() => loadAgentConfig(write('bad.yaml', 'registry: /r\ninputs: [\n')), /bad\.yaml: .*line 3/s);
  assert.throws(() => loadAgentConfig(write('dup.yaml', 'registry: /r\nregistry: /s\n')), /dup\.yaml: .*unique/i);
  assert.throws(() => loadAgentConfig(join(dir.path, 'absent.yaml')), /cannot read the agent config .*absent\.yaml/);
});

test('multiline, stdin, syslog and metrics: defaults named, mistakes named by their key', () => {
  const cfg = parseAgentConfig(
    {
      ...base,
      inputs: [
        { type: 'file', paths: ['/l/*.log'], multiline: { mode: 'indent' } },
        { type: 'syslog', listen: '127.0.0.1:5140' },
        { type: 'syslog', listen: '[::1]:5140', protocol: 'tcp' },
      ],
      metrics: { listen: '127.0.0.1:9600' },
    },
    'cfg',
  );
  const [file, udp, tcp] = cfg.inputs;
  assert.equal(file.type, 'file');
  assert.deepEqual(file.multiline, { mode: 'indent', max_lines: 500, max_bytes: 512 * 1024, timeout_ms: 1000 });
  assert.deepEqual(file.processors, []);
  assert.equal(udp.type, 'syslog');
  assert.equal(udp.protocol, 'udp');
  assert.equal(udp.max_message_bytes, 64 * 1024);
  assert.equal(tcp.type === 'syslog' && tcp.protocol, 'tcp');
  assert.equal(cfg.metrics?.listen, '127.0.0.1:9600');
  // stdin needs no registry.
  assert.equal(parseAgentConfig({ inputs: [{ type: 'stdin' }], output: base.output }, 'cfg').registry, undefined);

  const check = (over: Record<string, unknown>, want: RegExp) =>
    assert.throws(
      () => parseAgentConfig({ ...base, ...over }, 'cfg'),
      (e: Error) => (assert.match(e.message, want), true),
    );
  check({ inputs: [{ type: 'file', paths: ['/x'], multiline: { start: '([a-z' } }] }, /inputs\.0\.multiline\.start: not a valid regular expression/);
  check({ inputs: [{ type: 'file', paths: ['/x'], multiline: { start: '^x', mode: 'indent' } }] }, /inputs\.0\.multiline\.start: give start or mode: indent, not both/);
  check({ inputs: [{ type: 'file', paths: ['/x'], multiline: { max_lines: 10 } }] }, /inputs\.0\.multiline: give start \(a pattern the first line of a record matches\) or mode: indent/);
  check({ inputs: [{ type: 'file', paths: ['/x'], multiline: { mode: 'indent', timeout: 5 } }] }, /inputs\.0\.multiline\.timeout: unknown key/);
  check({ registry: undefined }, /registry: required with a file input/);
  check({ inputs: [{ type: 'stdin' }, { type: 'file', paths: ['/x'] }] }, /inputs\.0: a stdin input must be the only input/);
  check({ inputs: [{ type: 'syslog', listen: '5140' }] }, /inputs\.0\.listen: an address to listen on, host:port/);
  check({ inputs: [{ type: 'syslog', listen: '127.0.0.1:70000' }] }, /inputs\.0\.listen: a port from 0 to 65535/);
  check({ inputs: [{ type: 'syslog', listen: 'h:1', protocol: 'sctp' }] }, /inputs\.0\.protocol: /);
  check({ inputs: [{ type: 'syslog', listen: 'h:1' }, { type: 'syslog', listen: 'h:1' }] }, /inputs\.1\.listen: another syslog input already listens on udp h:1/);
  check({ metrics: { listen: 'localhost' } }, /metrics\.listen: an address to listen on/);
  check({ processors: [{ grok: {} }] }, /processors\.0\.grok: unknown processor/);
  check({ inputs: [{ type: 'stdin', fields: { 'input.type': 'x' } }] }, /inputs\.0\.fields\.input\.type: set by the agent itself/);
});
