import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type OutputConfig, outputCa } from './config.ts';
import { parseRetryAfter } from './backoff.ts';

/**
 * POSTs `_bulk` bodies to one of the configured nodes. Connections are kept alive (a batch a second per agent
 * should not pay a TCP and TLS handshake each time). An answer is any HTTP response; a connection failure or a
 * timeout rejects with a message naming the URL, for the log. An https node's certificate is checked against
 * `output.tls.ca` when given, else the system's CAs.
 */

export interface BulkAnswer {
  status: number;
  /** From `Retry-After`, when the node sent one. */
  retryAfterMs: number | null;
  text: string;
}

/** An answer larger than this is not a `_bulk` answer to our batch (which has at most 100,000 items). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** The `Authorization` header the output's `auth` asks for (also sent with heartbeats); null without auth. */
export function authorization(cfg: OutputConfig): string | null {
  const a = cfg.auth;
  if (a?.api_key !== undefined) return `ApiKey ${a.api_key}`;
  if (a?.username !== undefined) return `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`;
  return null;
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/**
 * What to do about a failed request, when it is the node's certificate that failed: the message of OpenSSL alone
 * ("unable to verify the first certificate") does not say where the fix goes. Empty for other errors.
 */
export function certificateHint(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  if (UNTRUSTED.has(code)) return ` (${code}: the node's certificate is not signed by a CA the agent trusts; give that CA, such as ca.pem from \`strata certs\`, in output.tls.ca)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ` (${code}: the node's certificate does not list the URL's host; use a name it lists, or issue it for this one with \`strata certs --hosts\`)`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return ` (${code}: check the node's certificate dates and both machines' clocks)`;
  return '';
}

export class BulkClient {
  private readonly targets: URL[];
  private readonly headers: Record<string, string>;
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  private readonly https: HttpsAgent;

  constructor(private cfg: OutputConfig) {
    const ca = outputCa(cfg);
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(ca !== undefined ? { ca } : {}) });
    this.targets = cfg.urls.map((u) => {
      const url = new URL(u);
      url.pathname = url.pathname.replace(/\/+$/, '') + '/_bulk';
      return url;
    });
    this.headers = { 'content-type': 'application/x-ndjson', accept: 'application/json' };
    if (cfg.compression === 'gzip') this.headers['content-encoding'] = 'gzip';
    const auth = authorization(cfg);
    if (auth !== null) this.headers.authorization = auth;
  }

  get urlCount(): number {
    return this.targets.length;
  }

  /** The node's URL as configured, for messages (credentials are in headers, never in it). */
  urlName(i: number): string {
    return this.cfg.urls[i];
  }

  post(urlIndex: number, body: Buffer): Promise<BulkAnswer> {
    const url = this.targets[urlIndex];
    const tls = url.protocol === 'https:';
    return new Promise((ok, fail) => {
      const req = (tls ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: tls ? this.https : this.http,
        headers: { ...this.headers, 'content-length': String(body.length) },
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.cfg.timeout_ms} ms`)), this.cfg.timeout_ms);
      const done = (e: Error | null, a?: BulkAnswer) => {
        clearTimeout(timer);
        if (e) fail(new Error(`POST ${this.urlName(urlIndex)}/_bulk: ${e.message}${certificateHint(e)}`, { cause: e }));
        else ok(a!);
      };
      req.on('error', (e) => done(e));
      req.on('response', (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) res.destroy(new Error(`answer over ${MAX_ANSWER_BYTES} bytes`));
          else parts.push(c);
        });
        res.on('error', (e) => done(e));
        res.on('end', () => done(null, { status: res.statusCode ?? 0, retryAfterMs: parseRetryAfter(res.headers['retry-after']), text: Buffer.concat(parts).toString('utf8') }));
      });
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
