import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { StrataError } from '../../../lib/errors.ts';
import { splitListen, type SyslogInputConfig } from '../config.ts';
import type { Emitter, RecordPipeline } from '../emit.ts';
import type { StreamHooks } from './hooks.ts';
import { SyslogFramer } from './syslog-framing.ts';
import { parseSyslog } from './syslog-parse.ts';
import { StreamSource } from './stream-source.ts';

/**
 * The `syslog` input: a listener for RFC 5424 / RFC 3164 messages, parsed on the host (syslog-parse.ts) into
 * the fields the node's own syslog receiver gives, plus `log.source.address` (the sender, `ip:port`).
 *
 * Backpressure: at the memory bound, TCP connections are paused (the kernel's buffers fill, then the senders
 * block, as with any slow TCP receiver) until acknowledgements free memory; UDP cannot be paused, so datagrams
 * arriving then are dropped and counted (`strata_agent_records_dropped_total{reason="memory_full"}`). There is
 * no registry or spool: messages received but not yet acknowledged when the agent stops are lost (batches in
 * flight get `shutdown_timeout_ms` on SIGTERM).
 */

export interface SyslogListener {
  readonly source: StreamSource;
  /** The port listened on (the configured one, or the one taken for port 0). */
  readonly port: number;
  /** Called when memory was freed: paused connections read again. */
  resume(): void;
  close(): Promise<void>;
}

const TRAILING = new Set([0x0a, 0x0d, 0x00]);

export async function startSyslog(cfg: SyslogInputConfig, pipe: RecordPipeline, emitter: Emitter, hooks: StreamHooks, fieldsJson: string): Promise<SyslogListener> {
  const source = new StreamSource('syslog', fieldsJson);
  const counters = emitter.counters;
  /** Message bytes received: the offset in record ids. */
  let received = 0;

  const message = (buf: Buffer, start: number, stop: number, peer: string) => {
    while (stop > start && TRAILING.has(buf[stop - 1])) stop--;
    if (stop === start) return;
    if (stop - start > cfg.max_message_bytes) stop = start + cfg.max_message_bytes;
    counters.linesRead++;
    const nowMs = Date.now();
    const parsed = parseSyslog(buf.toString('utf8', start, stop));
    parsed.fields['log.source.address'] = peer;
    const offset = received;
    received += stop - start;
    hooks.add(emitter.event(source, pipe, { ts: new Date(parsed.tsMs ?? nowMs).toISOString(), fields: parsed.fields }, offset, received));
  };

  const { host, port } = splitListen(cfg.listen);
  const where = `${cfg.protocol} ${cfg.listen}`;
  const failed = (e: Error) => new StrataError('invalid_config', `the syslog input cannot listen on ${where}: ${e.message}`, { listen: cfg.listen }, { cause: e });

  if (cfg.protocol === 'udp') {
    const sock: UdpSocket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    sock.on('message', (msg, rinfo) => {
      if (hooks.full()) {
        counters.dropped.memory_full++;
        return;
      }
      message(msg, 0, msg.length, `${rinfo.address}:${rinfo.port}`);
      hooks.wake();
    });
    await new Promise<void>((ok, fail) => {
      sock.once('error', (e) => fail(failed(e)));
      sock.bind(port, host, () => ok());
    });
    sock.removeAllListeners('error');
    sock.on('error', (e) => hooks.log(`syslog ${where}: ${e.message}`));
    return {
      source,
      port: sock.address().port,
      resume: () => {},
      close: () => new Promise<void>((ok) => sock.close(() => ok())),
    };
  }

  const sockets = new Set<Socket>();
  let paused = false;
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    const framer = new SyslogFramer(cfg.max_message_bytes, (b, s, e) => message(b, s, e, peer));
    sock.on('data', (c: Buffer) => {
      framer.push(c);
      if (hooks.full() && !paused) {
        paused = true;
        for (const s of sockets) s.pause();
      }
      hooks.wake();
    });
    sock.on('end', () => {
      framer.end();
      hooks.wake();
    });
    // A sender that resets its connection is its own business: nothing to do but forget the socket.
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    if (paused) sock.pause();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e) => fail(failed(e)));
    server.listen(port, host, () => ok());
  });
  server.removeAllListeners('error');
  server.on('error', (e) => hooks.log(`syslog ${where}: ${e.message}`));
  return {
    source,
    port: (server.address() as AddressInfo).port,
    resume() {
      if (!paused || hooks.full()) return;
      paused = false;
      for (const s of sockets) s.resume();
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}
