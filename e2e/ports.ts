import { type AddressInfo, createServer } from 'node:net';

/** A loopback TCP port that was free a moment ago (for processes that need a port number up front). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}
