import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const REPO = new URL('..', import.meta.url).pathname;

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  /** The syslog port bound, when the node was asked for one. */
  syslogPort: number | null;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a node as its own process (so its memory is measured alone) on `dataDir`, on a free port; resolves once
 * it serves HTTP and, with `syslog`, once its syslog receiver listens too.
 */
export async function startNodeProcess(dataDir: string, opts: { syslog?: boolean } = {}): Promise<NodeProcess> {
  const args = [join(REPO, 'bin/strata.js'), 'node', '--data-dir', dataDir, '--port', '0', ...(opts.syslog ? ['--syslog-port', '0'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((ok) => child.once('exit', ok));
  };
  return new Promise((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const http = /node ready on (http:\/\/\S+)/.exec(err);
      const syslog = /syslog \(RFC 5424 and 3164\) on [^:]+:(\d+)/.exec(err);
      if (http && (!opts.syslog || syslog)) ok({ child, url: http[1], syslogPort: syslog ? Number(syslog[1]) : null, stop });
    });
    child.once('exit', (code) => fail(new Error(`strata node exited with ${code}: ${err}`)));
  });
}
