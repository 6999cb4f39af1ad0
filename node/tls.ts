/**
 * The node's TLS: the certificate and key its HTTP port and syslog TLS port present, read and checked at start so
 * that a wrong path, a swapped pair or an expired certificate stops the node with a message naming the file,
 * rather than every client failing its handshake later. Also the account of failed handshakes, which are the
 * clients' problems but are only visible here.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { NodeConfig } from '../lib/config.ts';
import { StrataError } from '../lib/errors.ts';

export interface NodeTls {
  /** PEM as read: what `https.createServer` and `tls.createServer` take. */
  cert: Buffer;
  key: Buffer;
  /** The certificate's subject and names, for the start-up log. */
  subject: string;
  subjectAltName: string;
  notAfter: Date;
}

/** A certificate this close to its end is logged as a warning at start. */
const EXPIRY_WARNING_MS = 30 * 86400_000;

/**
 * Reads the node's certificate and key when configured; null for plain HTTP. Throws `invalid_config` naming the
 * file and its flag for a missing or unreadable file, a file that is not PEM, a key of another certificate, a CA
 * certificate given as the node's, and an expired certificate.
 */
export function loadNodeTls(cfg: Pick<NodeConfig, 'tlsCert' | 'tlsKey' | 'syslogTlsPort'>, now = new Date()): NodeTls | null {
  const { tlsCert, tlsKey } = cfg;
  if ((tlsCert === null) !== (tlsKey === null)) {
    throw new StrataError('invalid_config', `TLS needs both a certificate and its key: give --tls-cert and --tls-key (tlsCert and tlsKey) together; only ${tlsCert !== null ? '--tls-cert' : '--tls-key'} was given`);
  }
  if (tlsCert === null || tlsKey === null) {
    if (cfg.syslogTlsPort !== null) throw new StrataError('invalid_config', '--syslog-tls-port (syslogTlsPort) needs --tls-cert and --tls-key: the certificate the syslog TLS port presents');
    return null;
  }
  const cert = readPem(tlsCert, 'TLS certificate', '--tls-cert');
  const key = readPem(tlsKey, 'TLS key', '--tls-key');
  const certText = cert.toString('latin1');
  if (!certText.includes('-----BEGIN CERTIFICATE-----')) {
    const hint = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certText) ? ': it holds a private key (are --tls-cert and --tls-key swapped?)' : '';
    throw notPem(tlsCert, '--tls-cert', `a PEM certificate (a -----BEGIN CERTIFICATE----- block)${hint}`);
  }
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch (e) {
    throw notPem(tlsCert, '--tls-cert', `a PEM certificate (${(e as Error).message})`);
  }
  let k: KeyObject;
  try {
    k = createPrivateKey(key);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const text = key.toString('latin1');
    const why = code === 'ERR_MISSING_PASSPHRASE'
      ? 'an unencrypted private key: this one is encrypted with a passphrase, which the node cannot ask for (decrypt it with `openssl pkey -in KEY -out KEY.plain`)'
      : text.includes('-----BEGIN CERTIFICATE-----')
        ? 'a PEM private key: it holds a certificate (are --tls-cert and --tls-key swapped?)'
        : `a PEM private key (a -----BEGIN PRIVATE KEY----- block; ${(e as Error).message})`;
    throw notPem(tlsKey, '--tls-key', why);
  }
  if (!x.checkPrivateKey(k)) {
    throw new StrataError('invalid_config', `the key ${tlsKey} (--tls-key) is not the key of the certificate ${tlsCert} (--tls-cert): give the pair written together (node.pem and node-key.pem of one \`strata certs\` run)`, { tlsCert, tlsKey });
  }
  if (x.ca) {
    throw new StrataError('invalid_config', `${tlsCert} (--tls-cert) is a CA certificate: give the node's own certificate (node.pem from \`strata certs\`); clients are the ones given ca.pem`, { tlsCert });
  }
  const notAfter = new Date(x.validTo);
  if (notAfter <= now) {
    throw new StrataError('invalid_config', `the certificate ${tlsCert} (--tls-cert) expired on ${notAfter.toISOString()}: clients would refuse it; issue a new one (\`strata certs --out DIR\` keeps the CA and writes a new node.pem)`, { tlsCert });
  }
  return { cert, key, subject: x.subject.replace(/\n/g, ', '), subjectAltName: x.subjectAltName ?? '(none)', notAfter };
}

/** A line for the start-up log; a warning when the certificate ends within 30 days. */
export function describeNodeTls(t: NodeTls, now = new Date()): string {
  const left = t.notAfter.getTime() - now.getTime();
  const base = `TLS certificate ${t.subject} for ${t.subjectAltName}, valid until ${t.notAfter.toISOString()}`;
  return left < EXPIRY_WARNING_MS ? `${base}. WARNING: it expires in ${Math.max(0, Math.floor(left / 86400_000))} days; issue a new one before clients refuse it` : base;
}

/**
 * Reads a PEM file the node was pointed at; the error names the file, its flag and what to do. Exported for the
 * dashboard's `--node-ca`.
 */
export function readPem(path: string, what: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT'
      ? 'no such file (`strata certs --out DIR` writes a CA and a node certificate for development)'
      : code === 'EACCES' || code === 'EPERM'
        ? `permission denied: the node runs as uid ${process.getuid?.() ?? '?'}; let it read the file`
        : code === 'EISDIR'
          ? 'it is a directory; give the file'
          : (e as Error).message;
    throw new StrataError('invalid_config', `cannot read the ${what} ${path} (${flag}): ${why}`, { path, flag, errno: code }, { cause: e });
  }
}

function notPem(path: string, flag: string, wanted: string): StrataError {
  return new StrataError('invalid_config', `${path} (${flag}) is not ${wanted}`, { path, flag });
}

/** Reads a CA bundle a client of the node is to trust (`--node-ca`): a PEM file of one or more certificates. */
export function readCaBundle(path: string, flag: string): Buffer {
  const pem = readPem(path, 'CA certificate', flag);
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw notPem(path, flag, `a PEM CA certificate (such as ca.pem from \`strata certs\`; ${(e as Error).message})`);
  }
  return pem;
}

/** Failed handshakes on one TLS port, by OpenSSL's reason (`ERR_SSL_…`, or the socket error's code). */
export type HandshakeFailures = Map<string, number>;

/**
 * Counts the handshakes a TLS server saw fail and logs the first of each kind with what the client should change;
 * a client that keeps retrying does not flood the log.
 */
export function watchHandshakes(server: TlsServer, port: string, log: (m: string) => void): HandshakeFailures {
  const failures: HandshakeFailures = new Map();
  server.on('tlsClientError', (e: NodeJS.ErrnoException, socket: TLSSocket) => {
    const code = e.code ?? 'unknown';
    const seen = failures.get(code) ?? 0;
    failures.set(code, seen + 1);
    if (seen > 0) return;
    const from = socket.remoteAddress ?? 'a client';
    log(`tls: ${port}: a handshake from ${from} failed (${code}): ${handshakeAdvice(code, e.message)}. Further ones of this kind are only counted (strata_tls_handshake_failures_total)`);
  });
  return failures;
}

function handshakeAdvice(code: string, message: string): string {
  if (code === 'ERR_SSL_HTTP_REQUEST') return 'the client spoke plain HTTP to this HTTPS port; it must use https://';
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(code)) return "the client does not trust the node's certificate: give it the CA certificate (ca.pem)";
  if (/WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG/.test(code)) return 'the client did not speak TLS (a plain connection to a TLS port?)';
  // Node.js clients check the certificate once the handshake is done and then just close, with no alert to tell why.
  if (code === 'ECONNRESET') return "the client closed the connection during the handshake, as Node.js clients do when they do not trust the node's certificate: give it the CA certificate (ca.pem)";
  return message;
}
