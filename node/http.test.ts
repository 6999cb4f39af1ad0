import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyBuffers, readPooledBody } from './http.ts';
import { StrataError } from '../lib/errors.ts';

const MiB = 2 ** 20;

describe('BodyBuffers', () => {
  test('gives back a buffer that fits, keeps the largest few, and drops them all once idle', async () => {
    const pool = new BodyBuffers(2, 100);
    const a = pool.take(3 * MiB + 1);
    assert.equal(a.length, 4 * MiB, 'rounded up to a whole MiB');
    pool.give(a);
    assert.equal(pool.take(MiB), a, 'the free buffer is reused for a smaller body');
    const b = pool.take(MiB);
    assert.notEqual(b, a);
    const c = pool.take(2 * MiB);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    assert.deepEqual(pool.held, { buffers: 2, bytes: 6 * MiB }, 'the 1 MiB buffer made way for the larger ones');
    assert.equal(pool.take(1), c, 'the smallest that fits');
    pool.give(c);
    await sleep(300);
    assert.deepEqual(pool.held, { buffers: 0, bytes: 0 });
  });
});

describe('readPooledBody', () => {
  /** A server that reads each body into `pool`, keeps a copy of it in `seen` and answers its length. */
  async function serve(pool: BodyBuffers, max: number, seen: Buffer[], failures: unknown[]) {
    const server = createServer((req: IncomingMessage, res) => {
      readPooledBody(req, max, pool).then(
        ({ body, done }) => {
          seen.push(Buffer.from(body)); // a copy: the pooled bytes are reused after done()
          done();
          res.end(String(body.length));
        },
        (e: unknown) => {
          failures.push(e);
          res.statusCode = e instanceof StrataError ? e.httpStatus : 500;
          res.end();
        },
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return { server, port: (server.address() as AddressInfo).port };
  }
  function post(port: number, body: Buffer, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((ok, fail) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': String(body.length), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode!));
      });
      req.on('error', fail);
      req.end(body);
    });
  }

  test('reads bodies into reused buffers without leaking a larger earlier body, and undoes gzip', async () => {
    const pool = new BodyBuffers();
    const seen: Buffer[] = [];
    const failures: unknown[] = [];
    const { server, port } = await serve(pool, 16 * MiB, seen, failures);
    try {
      const big = Buffer.alloc(2 * MiB + 5, 'a');
      const small = Buffer.alloc(300 * 1024, 'b');
      assert.equal(await post(port, big), 200);
      assert.equal(await post(port, small), 200);
      assert.deepEqual(seen[0], big);
      assert.deepEqual(seen[1], small, 'exactly the second body: nothing of the first past its end');
      assert.deepEqual(pool.held, { buffers: 1, bytes: 3 * MiB }, 'one buffer served both');
      const text = Buffer.from(randomBytes(700 * 1024).toString('base64'));
      const zipped = gzipSync(text);
      assert.ok(zipped.length >= BodyBuffers.MIN_BYTES);
      assert.equal(await post(port, zipped, { 'content-encoding': 'gzip' }), 200);
      assert.deepEqual(seen[2], text);
      assert.equal(pool.held.buffers, 1, 'the compressed bytes went back to the pool');
      assert.deepEqual(failures, []);
    } finally {
      server.close();
    }
  });

  test('refuses a body over the limit from its Content-Length, and gives the buffer back when the client goes away', async () => {
    const pool = new BodyBuffers();
    const seen: Buffer[] = [];
    const failures: unknown[] = [];
    const { server, port } = await serve(pool, MiB, seen, failures);
    try {
      assert.equal(await post(port, Buffer.alloc(MiB + 1)), 413);
      assert.equal(pool.held.buffers, 0, 'no buffer was taken for a refused body');
      // Declares 800 KiB, sends 300 KiB, and closes.
      await new Promise<void>((ok) => {
        const req = request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': String(800 * 1024) } });
        req.on('error', () => ok());
        req.write(Buffer.alloc(300 * 1024, 'c'), () => setTimeout(() => req.destroy(), 50));
        req.on('close', () => ok());
      });
      for (let i = 0; i < 50 && failures.length < 2; i++) await sleep(20);
      assert.equal(failures.length, 2);
      assert.match((failures[1] as Error).message, /could not be read|closed the connection/);
      assert.equal(pool.held.buffers, 1, 'the half-filled buffer went back to the pool');
      const next = Buffer.alloc(400 * 1024, 'd');
      assert.equal(await post(port, next), 200);
      assert.deepEqual(seen, [next]);
    } finally {
      server.close();
    }
  });
});
