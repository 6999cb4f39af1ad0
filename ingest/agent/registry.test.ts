import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRegistry, encodeRegistry, loadRegistry, lockRegistry, REGISTRY_FILE, type RegistryEntry, saveRegistry } from './registry.ts';
import { tempDir } from './testing.ts';

const dir = tempDir('registry');
process.on('exit', () => dir.remove());

const entries: RegistryEntry[] = [
  { key: '0123456789abcdef', path: '/var/log/app.log', dev: '64768', ino: '18446744073709551557', fpLen: 1024, fpHash: 'ab'.repeat(16), offset: 123456789, seenMs: 1767225600000 },
  { key: 'fedcba9876543210', path: '/var/log/"odd"\nname.log', dev: '1', ino: '2', fpLen: 0, fpHash: 'cd'.repeat(16), offset: 0, seenMs: 1 },
];

test('the registry round-trips, inodes beyond 2^53 and odd names included; none yet is empty', () => {
  const d = join(dir.path, 'rt');
  assert.deepEqual(loadRegistry(d), []);
  const unlock = lockRegistry(d);
  saveRegistry(d, entries);
  assert.deepEqual(loadRegistry(d), entries);
  assert.ok(!existsSync(join(d, REGISTRY_FILE + '.tmp')), 'the temp file was renamed over the registry');
  unlock();
});

test('a damaged, foreign or newer registry is refused with what to do', () => {
  const text = encodeRegistry(entries);
  assert.throws(() => decodeRegistry(text.replace('123456789', '123456780'), 'r'), /r is damaged \(its checksum does not match\)\. Move it away to start over/);
  assert.throws(() => decodeRegistry(text.replace(' 1 ', ' 2 '), 'r'), /r is registry version 2, this agent reads version 1/);
  assert.throws(() => decodeRegistry('{"files":[]}', 'r'), /r is not a Strata agent registry/);
  assert.throws(() => decodeRegistry(text.slice(0, -20), 'r'), /damaged/);
});

test('one agent per registry: a running owner is refused, a dead one (kill -9) is taken over', async () => {
  const d = join(dir.path, 'lock');
  const unlock = lockRegistry(d);
  unlock();
  // A lock held by a process that is alive.
  const sleeper = spawn('sleep', ['30']);
  writeFileSync(join(d, 'agent.lock'), String(sleeper.pid));
  assert.throws(() => lockRegistry(d), new RegExp(`another agent \\(pid ${sleeper.pid}\\) uses the registry`));
  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper.once('exit', r));
  const again = lockRegistry(d);
  assert.equal(readFileSync(join(d, 'agent.lock'), 'utf8'), String(process.pid));
  again();
  assert.ok(!existsSync(join(d, 'agent.lock')));
});
