import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { StrataError } from '../../lib/errors.ts';
import { type DecodedBatch, type RejectCode, emptyBatch, pushRecord, reject } from '../batch.ts';
import { parseSyslog } from '../protocols/syslog.ts';
import { type FrameSink, SyslogFrameDecoder } from './framing.ts';

/**
 * The syslog listeners: UDP (a datagram is a message) and TCP (RFC 6587 framing) on one port, and TLS (RFC 5425) on
 * a port of its own, parsing each message into a record and handing them to storage in batches so it can
 * group-commit them.
 *
 * TLS has its own port, as RFC 5425 has (6514, beside 514): UDP cannot carry TLS, so switching "the" port to TLS
 * would leave its UDP half in clear under the same number; a port of its own lets plain and TLS senders run side by
 * side while they move over, and a firewall tell them apart. Its frames are RFC 5425's octet-counted ones;
 * newline-delimited frames are taken too (the decoder tells them apart per frame), since senders such as rsyslog
 * default to them over TLS as well.
 *
 * Syslog has no acknowledgements (RFC 6587 TCP has none at the application level; RELP, which has, is another
 * protocol), so a sender can never be asked to send a message again: a batch that storage refuses is lost, and is
 * counted and logged rather than retried here, where holding it would only grow memory while storage is down.
 * What can be done is to slow senders down: TCP connections are paused while the records waiting for storage are
 * over a bound, so the kernel's window pushes back on the sender; UDP cannot push back, so datagrams that arrive
 * while over the bound are dropped and counted (`dropped`), as are the ones the kernel drops when its receive
 * buffer fills (those are not countable here).
 */
export interface SyslogServerOptions {
  /** The address to listen on, for every transport. */
  host: string;
  /** One port for both UDP and TCP; 0 picks a free port (the same for both). */
  port: number;
  /** Syslog over TLS on a port of its own; off when absent. */
  tls?: SyslogTlsOptions;
  /** A message over this many bytes is rejected (`oversize`) and skipped without being held whole. */
  maxRecordBytes: number;
  /** Stores a batch; resolves once durable. Rejections in the batch are for counting. */
  onBatch: (batch: DecodedBatch, meta: BatchMeta) => Promise<void>;
  log: (m: string) => void;
  /** A batch is handed over at this many records (default 1000)… */
  maxBatchRecords?: number;
  /** …or this long after its first record arrived (default 50). */
  maxBatchDelayMs?: number;
  /** Records received but not yet stored, above which TCP is paused and UDP dropped (default 10 batches). */
  maxPendingRecords?: number;
  /** The same bound in message bytes (default 32 MiB). */
  maxPendingBytes?: number;
}

/** Where a batch came from: TLS is TCP underneath, and is told apart by `tls`. */
export interface BatchMeta {
  transport: 'udp' | 'tcp';
  tls: boolean;
}

export interface SyslogTlsOptions {
  /** The TCP port of the TLS listener; 0 picks a free one. */
  port: number;
  /** PEM: the certificate chain presented, and its key. */
  cert: string | Buffer;
  key: string | Buffer;
}

export interface SyslogTransportStats {
  /** Messages (datagrams or frames) received, including those then rejected or dropped. */
  messages: number;
  /** Bytes read from the transport, framing included. */
  bytes: number;
}

export interface SyslogStats {
  udp: SyslogTransportStats;
  tcp: SyslogTransportStats;
  /** Messages over TLS connections (framing bytes as decrypted, without TLS's own). */
  tls: SyslogTransportStats;
  /** Records in batches storage acknowledged. */
  stored: number;
  /** Messages not made into records, by reason: `oversize`, `invalid_syntax` (TCP and TLS framing). */
  rejected: Partial<Record<RejectCode, number>>;
  /** UDP datagrams dropped because storage was behind (over the pending bound). */
  dropped: number;
  /** Records in batches storage refused; syslog cannot ask for them again. */
  lost: number;
  /** Records stored with a parse problem (no or a bad timestamp, malformed structured data, not syslog at all). */
  warnings: number;
  /** TCP and TLS connections open now. */
  connections: number;
  /** Socket errors (resets mid-stream and the like) and unexpected failures confined to one connection. */
  errors: number;
}

/** A receiver on any of the transports: UDP and TCP on `port`, TLS on `tlsPort`. */
export interface SyslogReceiver {
  /** The UDP and TCP port; null when those are off (TLS only). */
  readonly port: number | null;
  /** The TLS port; null when off. */
  readonly tlsPort: number | null;
  /** The TLS listener, for its handshake failures (`tlsClientError`); null when off. */
  readonly tlsListener: tls.Server | null;
  stats(): SyslogStats;
  /** Stops listening, ends connections (after a grace period for what they already sent), stores what is pending. */
  close(): Promise<void>;
}

/** A receiver with UDP and TCP on, and TLS when asked for. */
export interface SyslogServer extends SyslogReceiver {
  readonly port: number;
}

type Transport = 'udp' | 'tcp' | 'tls';

const DEFAULT_BATCH_RECORDS = 1000;
const DEFAULT_BATCH_DELAY_MS = 50;
const DEFAULT_PENDING_BYTES = 32 << 20;
/** How long close() lets connections deliver what they sent before it cuts them. */
const CLOSE_GRACE_MS = 1000;
/** A TLS client that has not finished its handshake by then is cut (Node's default, 2 minutes, holds a socket long). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Bursts of datagrams wait in the kernel while storage commits; Linux caps this at net.core.rmem_max. */
const UDP_RECEIVE_BUFFER_BYTES = 8 << 20;
/** A port picked by TCP may be taken for UDP by someone else; picking again this many times. */
const PORT_ATTEMPTS = 10;

export async function startSyslogServer(opts: SyslogServerOptions): Promise<SyslogServer> {
  return (await startSyslogReceiver(opts)) as SyslogServer;
}

/** As startSyslogServer, where `port: null` leaves UDP and TCP off (a receiver for TLS only). */
export async function startSyslogReceiver(opts: Omit<SyslogServerOptions, 'port'> & { port: number | null }): Promise<SyslogReceiver> {
  if (opts.port === null && opts.tls === undefined) throw new StrataError('invalid_config', 'a syslog receiver needs a port: UDP and TCP, TLS, or both');
  const receiver = new Receiver(opts);
  let plain: Awaited<ReturnType<typeof listenBoth>> | null = null;
  if (opts.port !== null) plain = await listenBoth(opts.host, opts.port, receiver);
  let secure: tls.Server | null = null;
  if (opts.tls !== undefined) {
    try {
      secure = await listenTls(opts.host, opts.tls, receiver);
    } catch (e) {
      if (plain !== null) {
        plain.udp.close();
        await new Promise<void>((resolve) => plain!.tcp.close(() => resolve()));
      }
      throw e;
    }
  }
  receiver.attach(plain?.tcp ?? null, plain?.udp ?? null, secure);
  return {
    port: plain?.port ?? null,
    tlsPort: secure === null ? null : (secure.address() as net.AddressInfo).port,
    tlsListener: secure,
    stats: () => receiver.stats(),
    close: () => receiver.close(),
  };
}

class PendingBatch {
  batch = emptyBatch();
  bytes = 0;
  timer: NodeJS.Timeout | null = null;
  /** The 1-based position of the next item, records and rejections alike. */
  nextPos = 1;
}

class Receiver {
  private readonly maxBatchRecords: number;
  private readonly maxBatchDelayMs: number;
  private readonly maxPendingRecords: number;
  private readonly maxPendingBytes: number;
  private readonly pending: Record<Transport, PendingBatch> = { udp: new PendingBatch(), tcp: new PendingBatch(), tls: new PendingBatch() };
  /** Records (and their bytes) received and not yet settled by storage: pending batches and those in flight. */
  private heldRecords = 0;
  private heldBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sockets = new Set<net.Socket>();
  /** TLS connections still in their handshake: not yet in `sockets`, but close() must cut them too. */
  private readonly handshaking = new Set<net.Socket>();
  private paused = false;
  private tcp: net.Server | null = null;
  private udp: dgram.Socket | null = null;
  private tls: tls.Server | null = null;
  private closing: Promise<void> | null = null;
  /** Kinds of storage failure already logged since the last success. */
  private readonly failuresLogged = new Set<string>();
  private problemLogged = false;
  /** Whether this spell of overload was logged; re-armed when storage catches up. */
  private dropLogged = false;
  private crashLogged = false;
  private readonly st: SyslogStats = {
    udp: { messages: 0, bytes: 0 },
    tcp: { messages: 0, bytes: 0 },
    tls: { messages: 0, bytes: 0 },
    stored: 0,
    rejected: {},
    dropped: 0,
    lost: 0,
    warnings: 0,
    connections: 0,
    errors: 0,
  };

  constructor(private readonly opts: Omit<SyslogServerOptions, 'port'>) {
    this.maxBatchRecords = Math.max(1, opts.maxBatchRecords ?? DEFAULT_BATCH_RECORDS);
    this.maxBatchDelayMs = Math.max(0, opts.maxBatchDelayMs ?? DEFAULT_BATCH_DELAY_MS);
    this.maxPendingRecords = Math.max(1, opts.maxPendingRecords ?? 10 * this.maxBatchRecords);
    this.maxPendingBytes = Math.max(1, opts.maxPendingBytes ?? DEFAULT_PENDING_BYTES);
  }

  attach(tcp: net.Server | null, udp: dgram.Socket | null, secure: tls.Server | null): void {
    this.tcp = tcp;
    this.udp = udp;
    this.tls = secure;
    tcp?.on('error', (e) => this.socketError('tcp listener', e));
    secure?.on('error', (e) => this.socketError('tls listener', e));
    secure?.on('connection', (raw: net.Socket) => {
      this.handshaking.add(raw);
      raw.once('close', () => this.handshaking.delete(raw));
    });
    if (udp === null) return;
    udp.on('error', (e) => this.socketError('udp socket', e));
    udp.on('message', (buf) => this.datagram(buf));
    try {
      udp.setRecvBufferSize(UDP_RECEIVE_BUFFER_BYTES);
    } catch {
      // The default buffer still works; only bursts suffer.
    }
  }

  stats(): SyslogStats {
    const s = this.st;
    return { ...s, udp: { ...s.udp }, tcp: { ...s.tcp }, tls: { ...s.tls }, rejected: { ...s.rejected } };
  }

  private datagram(buf: Buffer): void {
    this.st.udp.messages++;
    this.st.udp.bytes += buf.length;
    if (this.overBound()) {
      this.st.dropped++;
      if (!this.dropLogged) {
        this.dropLogged = true;
        this.opts.log('syslog: storage is behind; dropping UDP datagrams until it catches up (stats().dropped); TCP senders are slowed instead');
      }
      this.pauseTcp();
      return;
    }
    let end = buf.length;
    // A trailing newline (or NUL) ends a datagram for some senders; it is not part of the message.
    while (end > 0 && (buf[end - 1] === 10 || buf[end - 1] === 13 || buf[end - 1] === 0)) end--;
    if (end === 0) return;
    if (end > this.opts.maxRecordBytes) {
      const head = JSON.stringify(buf.toString('utf8', 0, Math.min(end, 64)));
      this.rejectItem('udp', 'oversize', `a datagram of ${end} bytes is over the record size limit of ${this.opts.maxRecordBytes}; starts with ${head}`);
      return;
    }
    this.addMessage('udp', buf.toString('utf8', 0, end), end);
  }

  /** A TCP connection, or a TLS one once its handshake is done: the same framing either way. */
  accept(socket: net.Socket, t: 'tcp' | 'tls'): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.st.connections++;
    const st = this.st[t];
    const sink: FrameSink = {
      onMessage: (text, bytes) => {
        st.messages++;
        this.addMessage(t, text, bytes);
      },
      onReject: (code, reason) => {
        if (code === 'oversize') st.messages++;
        this.rejectItem(t, code, reason);
      },
    };
    const decoder = new SyslogFrameDecoder(this.opts.maxRecordBytes, sink);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => {
      st.bytes += chunk.length;
      try {
        decoder.push(chunk);
      } catch (e) {
        this.connectionFailed(socket, e);
        return;
      }
      if (this.overBound()) this.pauseTcp();
    });
    socket.on('end', () => {
      try {
        decoder.end();
      } catch (e) {
        this.connectionFailed(socket, e);
      }
    });
    // A reset mid-frame drops that connection's partial frame; nothing else is affected.
    socket.on('error', () => this.st.errors++);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.st.connections--;
    });
    if (this.paused) socket.pause();
  }

  /** A bug met by one connection's input ends that connection only. */
  private connectionFailed(socket: net.Socket, e: unknown): void {
    this.st.errors++;
    if (!this.crashLogged) {
      this.crashLogged = true;
      this.opts.log(`syslog: closing a ${socket instanceof tls.TLSSocket ? 'TLS' : 'TCP'} connection from ${socket.remoteAddress} after an unexpected failure decoding its input: ${(e as Error)?.message ?? String(e)}`);
    }
    socket.destroy();
  }

  private addMessage(t: Transport, text: string, bytes: number): void {
    const p = this.pending[t];
    const r = parseSyslog(text, Date.now());
    if (r.problem !== undefined) {
      this.st.warnings++;
      if (!this.problemLogged) {
        this.problemLogged = true;
        this.opts.log(`syslog: a message over ${t} was stored with a problem: ${r.problem}. Further ones are only counted (stats().warnings)`);
      }
    }
    pushRecord(p.batch, p.nextPos++, r.ts, r.fields);
    p.bytes += bytes;
    this.heldRecords++;
    this.heldBytes += bytes;
    this.added(t);
  }

  private rejectItem(t: Transport, code: RejectCode, reason: string): void {
    const p = this.pending[t];
    reject(p.batch, p.nextPos++, code, reason);
    this.st.rejected[code] = (this.st.rejected[code] ?? 0) + 1;
    this.added(t);
  }

  private added(t: Transport): void {
    const p = this.pending[t];
    if (p.batch.ts.length + p.batch.rejected.length >= this.maxBatchRecords) this.flush(t);
    else if (p.timer === null) p.timer = setTimeout(() => this.flush(t), this.maxBatchDelayMs);
  }

  private flush(t: Transport): void {
    const p = this.pending[t];
    if (p.timer !== null) {
      clearTimeout(p.timer);
      p.timer = null;
    }
    const batch = p.batch;
    const records = batch.ts.length;
    const bytes = p.bytes;
    if (records === 0 && batch.rejected.length === 0) return;
    this.pending[t] = new PendingBatch();
    let stored: Promise<void>;
    try {
      stored = Promise.resolve(this.opts.onBatch(batch, { transport: t === 'udp' ? 'udp' : 'tcp', tls: t === 'tls' }));
    } catch (e) {
      stored = Promise.reject(e);
    }
    const settled: Promise<void> = stored
      .then(
        () => {
          this.st.stored += records;
          this.failuresLogged.clear();
        },
        (e: unknown) => this.storeFailed(e, records),
      )
      .finally(() => {
        this.heldRecords -= records;
        this.heldBytes -= bytes;
        this.inFlight.delete(settled);
        if (this.paused && !this.overBound()) this.resumeTcp();
      });
    this.inFlight.add(settled);
  }

  /** Retrying is not possible for syslog (see the module comment): the records are counted as lost. */
  private storeFailed(e: unknown, records: number): void {
    this.st.lost += records;
    const kind = e instanceof StrataError ? e.code : ((e as Error)?.name ?? 'Error');
    if (this.failuresLogged.has(kind)) return;
    this.failuresLogged.add(kind);
    const why = (e as Error)?.message ?? String(e);
    this.opts.log(`syslog: storing a batch of ${records} records failed (${kind}: ${why}); syslog senders cannot resend, so they are lost. Further failures of this kind are only counted (stats().lost) until a batch is stored again`);
  }

  private overBound(): boolean {
    return this.heldRecords > this.maxPendingRecords || this.heldBytes > this.maxPendingBytes;
  }

  private pauseTcp(): void {
    if (this.paused) return;
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  private resumeTcp(): void {
    this.paused = false;
    this.dropLogged = false;
    if (this.closing !== null) return;
    for (const s of this.sockets) s.resume();
  }

  private socketError(what: string, e: Error): void {
    this.st.errors++;
    this.opts.log(`syslog: ${what} error: ${e.message}`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const { tcp, udp, tls: secure } = this;
    const tcpClosed = new Promise<void>((resolve) => (tcp === null ? resolve() : tcp.close(() => resolve())));
    const udpClosed = new Promise<void>((resolve) => (udp === null ? resolve() : udp.close(() => resolve())));
    const tlsClosed = new Promise<void>((resolve) => (secure === null ? resolve() : secure.close(() => resolve())));
    // What connections already sent is read (even past the pending bound) and stored; then they are cut.
    for (const s of this.sockets) {
      s.end();
      s.resume();
    }
    const cut = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
      for (const s of this.handshaking) s.destroy();
    }, CLOSE_GRACE_MS);
    await Promise.all([tcpClosed, udpClosed, tlsClosed]);
    clearTimeout(cut);
    this.flush('udp');
    this.flush('tcp');
    this.flush('tls');
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

async function listenBoth(host: string, port: number, receiver: Receiver): Promise<{ tcp: net.Server; udp: dgram.Socket; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const tcp = net.createServer((s) => receiver.accept(s, 'tcp'));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      throw listenError(e, 'TCP', host, port);
    }
    const got = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(got, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return { tcp, udp, port: got };
    } catch (e) {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < PORT_ATTEMPTS) continue;
      throw listenError(e, 'UDP', host, got);
    }
  }
}

async function listenTls(host: string, o: SyslogTlsOptions, receiver: Receiver): Promise<tls.Server> {
  let server: tls.Server;
  try {
    server = tls.createServer({ cert: o.cert, key: o.key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, (s) => receiver.accept(s, 'tls'));
  } catch (e) {
    throw new StrataError('invalid_config', `cannot serve syslog over TLS: the certificate or key was refused (${(e as Error).message})`, {}, { cause: e });
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw listenError(e, 'TLS', host, o.port, '--syslog-tls-port');
  }
  return server;
}

function listenError(e: unknown, transport: string, host: string, port: number, flag = '--syslog-port'): StrataError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const where = `${transport} ${host}:${port}`;
  let message: string;
  switch (code) {
    case 'EADDRINUSE':
      message = `cannot listen for syslog on ${where}: the port is in use (another syslog daemon?); stop it or pick another ${flag}`;
      break;
    case 'EACCES':
    case 'EPERM':
      message = `cannot listen for syslog on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; grant it or pick a port above 1023`;
      break;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      message = `cannot listen for syslog on ${where}: ${host} is not an address of this machine`;
      break;
    default:
      message = `cannot listen for syslog on ${where}: ${(e as Error)?.message ?? String(e)}`;
  }
  return new StrataError('invalid_config', message, { host, port, transport, errno: code }, { cause: e });
}
