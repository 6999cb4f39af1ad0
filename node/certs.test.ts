import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { StrataError } from '../lib/errors.ts';
import { generateCerts, ipBytes } from './certs.ts';

/** `strata certs` through the real CLI, its files checked with Node's own X.509 code. */

const BIN = resolve(import.meta.dirname, '../bin/strata.js');
const dir = mkdtempSync(join(tmpdir(), 'strata-certs-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function certs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'certs', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const cert = (path: string) => new X509Certificate(readFileSync(path));
const mode = (path: string) => statSync(path).mode & 0o777;
const DAY = 86400_000;

test('writes a CA and a node certificate for the hosts asked, keys 0600; running again keeps the CA', async () => {
  const out = join(dir, 'certs');
  const first = await certs('--out', out, '--hosts', 'localhost,127.0.0.1,myhost,::1', '--days', '30');
  assert.equal(first.code, 0, first.stderr);
  for (const f of ['ca.pem', 'ca-key.pem', 'node.pem', 'node-key.pem']) assert.ok(statSync(join(out, f)).isFile(), f);
  assert.equal(mode(join(out, 'ca-key.pem')), 0o600);
  assert.equal(mode(join(out, 'node-key.pem')), 0o600);
  assert.equal(mode(join(out, 'ca.pem')), 0o644);
  assert.match(first.stdout, /created a CA: .*ca\.pem/);
  assert.match(first.stdout, /strata node --data-dir \.\/data --tls-cert \S*node\.pem --tls-key \S*node-key\.pem/);
  assert.match(first.stdout, /output: \{ urls: \["https:\/\/localhost:9400"\], tls: \{ ca: \S*ca\.pem \} \}/);
  assert.match(first.stdout, /strata dashboard --node https:\/\/localhost:9400 --node-ca \S*ca\.pem/);

  const ca = cert(join(out, 'ca.pem'));
  const node = cert(join(out, 'node.pem'));
  assert.equal(ca.ca, true);
  assert.equal(node.ca, false);
  assert.ok(node.checkIssued(ca), 'the node certificate names the CA as its issuer');
  assert.ok(node.verify(ca.publicKey), "the CA's key signed it");
  assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
  assert.ok(!node.verify(cert(join(out, 'node.pem')).publicKey), 'a signature check that can fail');
  assert.equal(node.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, DNS:myhost, IP Address:0:0:0:0:0:0:0:1');
  assert.match(node.subject, /CN=localhost/);
  assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth, and clientAuth for nodes authenticating to each other later');
  assert.ok(node.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'node-key.pem')))));
  assert.ok(ca.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'ca-key.pem')))));
  const days = (Date.parse(node.validTo) - Date.now()) / DAY;
  assert.ok(days > 29.9 && days <= 30, `valid for ${days} days`);
  assert.ok(Date.parse(node.validFrom) < Date.now() - 30 * 60_000, 'back-dated for clocks that are behind');
  assert.ok((Date.parse(ca.validTo) - Date.now()) / DAY > 3649);

  const caBytes = readFileSync(join(out, 'ca.pem'));
  const caKeyBytes = readFileSync(join(out, 'ca-key.pem'));
  const again = await certs('--out', out, '--hosts', 'localhost,127.0.0.1');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /kept the CA in .*ca\.pem \(O=Strata, CN=Strata local CA /);
  assert.deepEqual(readFileSync(join(out, 'ca.pem')), caBytes);
  assert.deepEqual(readFileSync(join(out, 'ca-key.pem')), caKeyBytes);
  const renewed = cert(join(out, 'node.pem'));
  assert.notEqual(renewed.serialNumber, node.serialNumber);
  assert.ok(renewed.checkIssued(ca) && renewed.verify(ca.publicKey));
  assert.equal(renewed.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
  assert.ok(!renewed.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'ca-key.pem')))));
  assert.ok(renewed.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'node-key.pem')))), 'a new key beside the new certificate');

  const second = await certs('--out', out, '--hosts', 'node2.example', '--name', 'node2');
  assert.equal(second.code, 0, second.stderr);
  const n2 = cert(join(out, 'node2.pem'));
  assert.ok(n2.checkIssued(ca) && n2.verify(ca.publicKey), 'a second node under the same CA');
  assert.equal(mode(join(out, 'node2-key.pem')), 0o600);
  assert.ok(cert(join(out, 'node.pem')).checkIssued(ca), "the first node's files are left alone");
});

test('the node certificate ends with its CA when asked to outlive it', async () => {
  const out = join(dir, 'short-ca');
  const r1 = await generateCerts({ outDir: out, hosts: ['localhost'], days: 5, caDays: 10, name: 'node' });
  assert.equal(r1.cutToCa, false);
  const r2 = await generateCerts({ outDir: out, hosts: ['localhost'], days: 30, caDays: 10, name: 'node' });
  assert.equal(r2.caCreated, false);
  assert.equal(r2.cutToCa, true);
  assert.equal(cert(r2.certFile).validTo, cert(r2.caFile).validTo);
});

test('mistakes are refused with what to do', async () => {
  const out = join(dir, 'bad');
  const bad = async (args: string[], pattern: RegExp) => {
    const r = await certs('--out', out, ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, pattern);
  };
  assert.match((await certs()).stderr, /--out is required/);
  await bad(['--hosts', 'localhost,not a host!'], /"not a host!" is neither a host name nor an IP address/);
  await bad(['--days', '0'], /--days must be a whole number of days from 1 to 825/);
  await bad(['--days', '3000'], /--days must be/);
  await bad(['--name', '../x'], /--name must be a file name/);
  await bad(['--name', 'ca'], /would overwrite the CA/);

  const half = join(dir, 'half');
  await generateCerts({ outDir: half, hosts: ['localhost'], days: 1, caDays: 2, name: 'node' });
  renameSync(join(half, 'ca-key.pem'), join(dir, 'moved-key.pem'));
  await assert.rejects(generateCerts({ outDir: half, hosts: ['localhost'], days: 1, caDays: 2, name: 'node' }), (e: unknown) => e instanceof StrataError && /ca\.pem is there but its key .*ca-key\.pem is not/.test(e.message));

  const other = join(dir, 'other');
  await generateCerts({ outDir: other, hosts: ['localhost'], days: 1, caDays: 2, name: 'node' });
  renameSync(join(other, 'ca-key.pem'), join(half, 'ca-key.pem'));
  await assert.rejects(generateCerts({ outDir: half, hosts: ['localhost'], days: 1, caDays: 2, name: 'node' }), /ca-key\.pem is not the key of .*ca\.pem/);
});

test('IP addresses become iPAddress bytes', () => {
  const check = (ip: string, hex: string) => assert.equal(Buffer.from(ipBytes(ip)).toString('hex'), hex, ip);
  check('127.0.0.1', '7f000001');
  check('::1', '00000000000000000000000000000001');
  check('::', '00000000000000000000000000000000');
  check('fe80::1:2', 'fe800000000000000000000000010002');
  check('2001:db8::', '20010db8000000000000000000000000');
  check('::ffff:10.0.0.1', '00000000000000000000ffff0a000001');
  check('1:2:3:4:5:6:7:8', '00010002000300040005000600070008');
});
