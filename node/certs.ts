/**
 * `strata certs`: a local certificate authority and certificates it issues to nodes, for development and for
 * networks without a CA of their own. ECDSA P-256 keys (small, fast handshakes, accepted by every TLS stack in
 * use), made with WebCrypto and written into X.509 by PKI.js, so that no `openssl` binary is needed.
 *
 * The CA is made once and kept: running again issues a new node certificate under the same CA, so that clients
 * that trust `ca.pem` keep trusting the node. Node certificates carry both serverAuth and clientAuth, so that the
 * same files can later authenticate nodes to each other (mutual TLS) without being issued again.
 *
 * Limitations: no revocation (no CRL or OCSP: a leaked node key is answered by a new CA), keys are written
 * unencrypted (protected by file mode 0600), and the CA key lives beside the certificates it signs; a CA that
 * matters belongs on another machine.
 */
import { createHash, createPrivateKey, type KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { writeFileDurable } from '../lib/durable-file.ts';
import { StrataError } from '../lib/errors.ts';

export interface CertsOptions {
  /** The directory written (created, mode 0700, when missing). */
  outDir: string;
  /** Host names and IP addresses the node is reached at: the certificate's subjectAltName. */
  hosts: string[];
  /** How long the node certificate is valid. */
  days: number;
  /** How long a new CA is valid (an existing one is kept as it is). */
  caDays: number;
  /** The node certificate's file names: `<name>.pem` and `<name>-key.pem`. */
  name: string;
  /** The time the certificates start from; now by default (a test's clock). */
  now?: Date;
}

export interface CertsResult {
  caCreated: boolean;
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
  caSubject: string;
  caNotAfter: Date;
  hosts: string[];
  notAfter: Date;
  /** When the CA expires before `days` would have ended: the node certificate ends with it. */
  cutToCa: boolean;
}

export const DEFAULT_NODE_DAYS = 365;
export const DEFAULT_CA_DAYS = 3650;
/** Kept to what every client accepts: Apple's TLS stack refuses server certificates valid for more than 825 days. */
export const MAX_NODE_DAYS = 825;
export const MAX_CA_DAYS = 36500;
/** Certificates start this long before now, so that a client whose clock is behind does not find them not yet valid. */
const BACKDATE_MS = 3600_000;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const HASH = 'SHA-256';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DNS_LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A host name, or a wildcard one (`*.example.com`). */
const DNS_RE = new RegExp(`^(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*\\.?$`);

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** The default hosts: this machine by the names a client on it or beside it would use. */
export function defaultHosts(): string[] {
  const names = ['localhost', '127.0.0.1', '::1'];
  const h = hostname();
  if (h !== '' && !names.includes(h) && DNS_RE.test(h)) names.push(h);
  return names;
}

/** Makes the CA when `outDir` has none, then a node certificate and key signed by it. */
export async function generateCerts(opts: CertsOptions): Promise<CertsResult> {
  checkOptions(opts);
  const now = opts.now ?? new Date();
  const dir = resolve(opts.outDir);
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  const certFile = join(dir, `${opts.name}.pem`);
  const keyFile = join(dir, `${opts.name}-key.pem`);
  // PKI.js names the DOM's Crypto type, which Node's own WebCrypto implements.
  const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] });

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca: IssuingCa;
  let caCreated = false;
  if (existsSync(caFile) || existsSync(caKeyFile)) {
    ca = await loadCa(caFile, caKeyFile, now);
  } else {
    ca = await createCa(engine, now, opts.caDays);
    // The key first: a ca.pem without its key could never issue again, a key without its certificate is only made anew.
    writeFileDurable(caKeyFile, pem('PRIVATE KEY', ca.keyDer), 'CA key', { mode: 0o600 });
    writeFileDurable(caFile, pem('CERTIFICATE', ca.certDer), 'CA certificate', { mode: 0o644 });
    caCreated = true;
  }

  let notAfter = new Date(now.getTime() + opts.days * 86400_000);
  const cutToCa = notAfter > ca.notAfter;
  if (cutToCa) notAfter = ca.notAfter;
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = newCertificate(ca.subject, rdn(opts.hosts[0]), new Date(now.getTime() - BACKDATE_MS), notAfter);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
    extension(OID.keyUsage, true, keyUsage(0x80, 7)), // digitalSignature: all an ECDHE handshake signs with
    extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.serverAuth, OID.clientAuth] }).toSchema()),
    extension(OID.subjectAltName, false, new pkijs.AltName({ altNames: opts.hosts.map(generalName) }).toSchema()),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId(cert) })),
    extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: ca.keyId }) }).toSchema()),
  ];
  await cert.sign(ca.key, HASH, engine);
  const keyDer = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  writeFileDurable(keyFile, pem('PRIVATE KEY', keyDer), 'node key', { mode: 0o600 });
  writeFileDurable(certFile, pem('CERTIFICATE', der(cert)), 'node certificate', { mode: 0o644 });

  return { caCreated, caFile, caKeyFile, certFile, keyFile, caSubject: ca.subjectText, caNotAfter: ca.notAfter, hosts: opts.hosts, notAfter, cutToCa };
}

function checkOptions(o: CertsOptions): void {
  const bad = (m: string) => new StrataError('invalid_config', m);
  if (!NAME_RE.test(o.name)) throw bad(`--name must be a file name of letters, digits, ".", "_" and "-" (it names <name>.pem), got ${JSON.stringify(o.name)}`);
  if (o.name === 'ca') throw bad('--name ca would overwrite the CA\'s own files; pick another name');
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > MAX_NODE_DAYS) throw bad(`--days must be a whole number of days from 1 to ${MAX_NODE_DAYS}, got ${o.days}`);
  if (!Number.isInteger(o.caDays) || o.caDays < 1 || o.caDays > MAX_CA_DAYS) throw bad(`--ca-days must be a whole number of days from 1 to ${MAX_CA_DAYS}, got ${o.caDays}`);
  if (o.hosts.length === 0) throw bad('--hosts needs at least one host name or IP address the node is reached at');
  for (const h of o.hosts) {
    if (isIP(h) === 0 && !(DNS_RE.test(h) && h.length <= 253)) throw bad(`--hosts: ${JSON.stringify(h)} is neither a host name nor an IP address`);
  }
}

/** What issuing needs of a CA, whether made now or read from disk. */
interface IssuingCa {
  key: webcrypto.CryptoKey;
  subject: pkijs.RelativeDistinguishedNames;
  subjectText: string;
  keyId: Uint8Array;
  notAfter: Date;
  certDer: Uint8Array;
  keyDer: Uint8Array;
}

async function createCa(engine: pkijs.CryptoEngine, now: Date, days: number): Promise<IssuingCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  // A name of its own for each CA made: two CAs of one name in a trust store confuse clients choosing an issuer.
  const cn = `Strata local CA ${hostname()} ${now.toISOString().slice(0, 10)} ${randomBytes(3).toString('hex')}`;
  const subject = rdn(cn);
  const notAfter = new Date(now.getTime() + days * 86400_000);
  const cert = newCertificate(subject, subject, new Date(now.getTime() - BACKDATE_MS), notAfter);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  const id = keyId(cert);
  cert.extensions = [
    // pathLen 0: it signs node certificates only, never another CA.
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
    extension(OID.keyUsage, true, keyUsage(0x06, 1)), // keyCertSign, cRLSign
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: id })),
  ];
  await cert.sign(keys.privateKey, HASH, engine);
  const keyDer = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key: keys.privateKey, subject, subjectText: `O=Strata, CN=${cn}`, keyId: id, notAfter, certDer: der(cert), keyDer };
}

async function loadCa(caFile: string, caKeyFile: string, now: Date): Promise<IssuingCa> {
  const fail = (m: string) => new StrataError('invalid_config', m, { caFile, caKeyFile });
  if (!existsSync(caFile)) throw fail(`${caKeyFile} is there but ${caFile} is not: restore the CA certificate, or move ${caKeyFile} away to create a new CA (clients must then trust the new ca.pem)`);
  if (!existsSync(caKeyFile)) throw fail(`${caFile} is there but its key ${caKeyFile} is not: restore the key, or move ${caFile} away to create a new CA (clients must then trust the new ca.pem)`);
  let x: X509Certificate;
  try {
    x = new X509Certificate(readFileSync(caFile));
  } catch (e) {
    throw fail(`${caFile} is not a PEM certificate (${(e as Error).message}); move it away to create a new CA`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(caKeyFile));
  } catch (e) {
    throw fail(`${caKeyFile} is not an unencrypted PEM private key (${(e as Error).message})`);
  }
  if (!x.ca) throw fail(`${caFile} is not a CA certificate (basicConstraints CA:FALSE); move it away to create a new CA`);
  if (!x.checkPrivateKey(key)) throw fail(`${caKeyFile} is not the key of ${caFile}: the two files come from different CAs`);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw fail(`${caKeyFile} is a ${key.asymmetricKeyType} key; strata certs issues with ECDSA P-256 CAs, as it makes them: move ca.pem and ca-key.pem away to create one`);
  }
  const notAfter = new Date(x.validTo);
  if (notAfter <= now) throw fail(`the CA ${caFile} expired on ${notAfter.toISOString()}: move ca.pem and ca-key.pem away to create a new CA (clients must then trust the new ca.pem)`);
  const certDer = new Uint8Array(x.raw);
  const parsed = pkijs.Certificate.fromBER(certDer);
  const skid = parsed.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const keyDer = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
  return {
    key: await webcrypto.subtle.importKey('pkcs8', keyDer, EC, false, ['sign']),
    subject: parsed.subject,
    subjectText: x.subject.replace(/\n/g, ', '),
    keyId: skid !== undefined ? new Uint8Array((skid.parsedValue as asn1js.OctetString).valueBlock.valueHexView) : keyId(parsed),
    notAfter,
    certDer,
    keyDer,
  };
}

function newCertificate(issuer: pkijs.RelativeDistinguishedNames, subject: pkijs.RelativeDistinguishedNames, notBefore: Date, notAfter: Date): pkijs.Certificate {
  const cert = new pkijs.Certificate();
  cert.version = 2; // v3, the version with extensions
  const serial = randomBytes(16);
  // A positive, non-zero serial of 16 bytes (RFC 5280 allows 20): the top bit clear, the next one set.
  serial[0] = (serial[0] & 0x7f) | 0x40;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.issuer = issuer;
  cert.subject = subject;
  cert.notBefore = time(notBefore);
  cert.notAfter = time(notAfter);
  return cert;
}

/** RFC 5280 wants UTCTime through 2049 and GeneralizedTime from 2050 on. */
function time(d: Date): pkijs.Time {
  return new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: d });
}

/**
 * O=Strata, CN=cn as two relative names, one attribute each: PKI.js puts every attribute of a name it builds into
 * one multi-valued set (`O=Strata + CN=…`), which tools show oddly; so the DER is made here and read back.
 */
function rdn(cn: string): pkijs.RelativeDistinguishedNames {
  const attr = (type: string, value: string) => new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()] });
  const seq = new asn1js.Sequence({ value: [attr(OID.organization, 'Strata'), attr(OID.commonName, cn)] });
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** A KeyUsage bit string of one byte; DER counts the unused low bits after the last one set. */
function keyUsage(bits: number, unusedBits: number): asn1js.BitString {
  return new asn1js.BitString({ valueHex: new Uint8Array([bits]), unusedBits });
}

/** RFC 5280's first method: SHA-1 of the subjectPublicKey bits. */
function keyId(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest());
}

function generalName(host: string): pkijs.GeneralName {
  if (isIP(host) !== 0) return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(host) }) });
  return new pkijs.GeneralName({ type: 2, value: host.replace(/\.$/, '') });
}

/** An address's bytes as iPAddress holds them: 4 for IPv4, 16 for IPv6. */
export function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return new Uint8Array(ip.split('.').map(Number));
  let text = ip.replace(/%.*$/, '');
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    tail.push(...v4[1].split('.').map(Number));
    text = text.slice(0, -v4[1].length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

function der(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER(false));
}

function pem(label: string, derBytes: Uint8Array): string {
  const b64 = Buffer.from(derBytes).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
