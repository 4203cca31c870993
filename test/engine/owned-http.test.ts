/**
 * The engine's own HTTP/1.1 path (src/engine/http/owned.ts), driven over raw TCP connections to a
 * real http.Server: requests under the engine's path are answered without node:http, everything
 * else (and everything outside the parser's subset) reaches node:http with its bytes intact,
 * keep-alive, pipelining, timeouts and shutdown behave as node:http's do.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { EngineServer } from '../../src/engine/server.js';
import {
  assertEchoed,
  getOf,
  HANDSHAKE,
  handshake,
  lastAnswer,
  postOf,
  RawConnection,
  start,
  startWithSession,
} from './owned-support.js';
import { waitUntil } from '../support/waiting.js';

describe('the engine answers polling HTTP itself', () => {
  test('a session runs on one keep-alive connection without node:http parsing a request', async () => {
    const { f, c, sid } = await startWithSession();
    c.write(postOf(sid, '4héllo'));
    const ok = await c.response();
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'ok');
    c.write(getOf(sid));
    const echoed = await c.response();
    assert.equal(echoed.body, '4héllo');
    assert.equal(echoed.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(echoed.headers['cache-control'], 'no-store');
    assert.equal(echoed.headers.connection, 'keep-alive');
    assert.equal(echoed.headers['keep-alive'], `timeout=${f.http.keepAliveTimeout / 1000}`);
    assert.ok(!Number.isNaN(Date.parse(echoed.headers.date ?? '')), 'a Date header');
    assert.equal(f.nodeRequests, 0);
    c.socket.destroy();
  });

  test("by default node:http answers the engine's requests: 'request' listeners and maxRequestsPerSocket see them", async () => {
    // ownHttp left unset: the default.
    const f = await start({ ownHttp: undefined });
    assert.equal(f.engine.options.ownHttp, false);
    f.http.maxRequestsPerSocket = 1;
    const c = await RawConnection.open(f.port);
    await handshake(c);
    assert.equal(f.nodeRequests, 1);
    c.write(HANDSHAKE);
    // node refuses a second request on the socket (503) and closes it: the own path knows no such limit.
    assert.equal((await c.response()).status, 503);
    await c.closed;
  });

  test('with ownHttp off the same session is parsed by node:http', async () => {
    const { f, c, sid } = await startWithSession({ ownHttp: false });
    c.write(postOf(sid, '4x'));
    assert.equal((await c.response()).body, 'ok');
    assert.equal(f.nodeRequests, 2);
    c.socket.destroy();
  });

  test('a TLS server, or one joining duplicate headers, keeps node:http on its connections', () => {
    for (const server of [createHttpsServer(), createServer({ joinDuplicateHeaders: true })]) {
      const before = server.rawListeners('connection');
      new EngineServer({ onSession: () => ({ onMessage() {}, onClose() {} }) }, { path: '/e/', ownHttp: true }).attach(
        server,
      );
      assert.deepEqual(server.rawListeners('connection'), before);
    }
    const plain = createServer();
    const before = plain.rawListeners('connection');
    new EngineServer({ onSession: () => ({ onMessage() {}, onClose() {} }) }, { path: '/e/', ownHttp: true }).attach(
      plain,
    );
    assert.notDeepEqual(plain.rawListeners('connection'), before);
  });

  test('allowRequest (which takes an IncomingMessage) leaves HTTP to node:http', async () => {
    const f = await start({ allowRequest: (_req, callback) => callback(null, true) });
    const c = await RawConnection.open(f.port);
    await handshake(c);
    assert.equal(f.nodeRequests, 1);
    c.socket.destroy();
  });

  test('pipelined requests are answered in order, a POST waiting behind a held GET', async () => {
    const { f, c, sid } = await startWithSession();
    // The GET is held until the next ping; the POST behind it waits for that answer.
    c.write(getOf(sid) + postOf(sid, '4after'));
    const first = await c.response();
    assert.equal(first.body, '2');
    const second = await c.response();
    assert.equal(second.body, 'ok');
    c.write(getOf(sid));
    assert.equal((await c.response()).body, '4after');
    assert.equal(f.nodeRequests, 0);
    c.socket.destroy();
  });

  test('a request outside the path hands the connection to node:http with its pipelined bytes', async () => {
    const { f, c, sid } = await startWithSession();
    c.write(`GET /page HTTP/1.1\r\nHost: t\r\n\r\n${postOf(sid, '4via node')}`);
    const page = await c.response();
    assert.equal(page.body, 'page /page');
    await assertEchoed(c, sid, '4via node');
    assert.equal(f.nodeRequests, 3);
    c.socket.destroy();
  });

  test('a chunked POST is read by node:http and its packets reach the session', async () => {
    const { f, c, sid } = await startWithSession();
    c.write(
      `POST /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n` +
        '3\r\n4ch\r\n5\r\nunked\r\n0\r\n\r\n',
    );
    await assertEchoed(c, sid, '4chunked');
    assert.equal(f.nodeRequests, 2);
    c.socket.destroy();
  });

  test('a head and body arriving byte by byte are assembled', async () => {
    const { f, c, sid } = await startWithSession();
    const bytes = Buffer.from(postOf(sid, '4slow\x1e4ly'));
    for (const byte of bytes) {
      c.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await assertEchoed(c, sid, '4slow\x1e4ly');
    assert.equal(f.nodeRequests, 0);
    c.socket.destroy();
  });

  test('a POST declaring more than maxPayload gets 413 and a closed connection; the session stays', async () => {
    const { f, c, sid } = await startWithSession({ maxPayload: 100 });
    c.write(postOf(sid, `4${'x'.repeat(200)}`));
    const refused = await c.response();
    assert.equal(refused.status, 413);
    assert.equal(refused.headers.connection, 'close');
    await c.closed;
    const d = await RawConnection.open(f.port);
    d.write(postOf(sid, '4fits'));
    await assertEchoed(d, sid, '4fits');
    d.socket.destroy();
  });

  test('a refused request with a body skips the body and keeps the connection in step', async () => {
    const { c, sid } = await startWithSession();
    c.write(postOf('unknown-sid', '4ignored') + postOf(sid, '4next'));
    const refused = await c.response();
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.body), { code: 1, message: 'Session ID unknown' });
    assert.equal((await c.response()).body, 'ok');
    c.socket.destroy();
  });

  test('Connection: close is answered with Connection: close and the connection ends', async () => {
    const f = await start();
    const answer = await lastAnswer(f, 'GET /e/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, 'close');
  });

  test('malformed bytes get node:http’s 400 and the server serves the next client', async () => {
    const f = await start();
    const answer = await lastAnswer(f, 'GET /e/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n');
    assert.equal(answer.status, 400);
    const d = await RawConnection.open(f.port);
    await handshake(d);
    d.socket.destroy();
  });

  test('a client gone while its POST body is in flight frees the POST for the next one', async () => {
    const { f, c, sid, serverHasRead } = await startWithSession();
    c.write(`POST /e/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n4part`);
    // The server holds the POST open, waiting for the rest of its body, when the client goes.
    await serverHasRead();
    c.socket.destroy();
    await c.closed;
    const d = await RawConnection.open(f.port);
    d.write(postOf(sid, '4whole'));
    assert.equal((await d.response()).body, 'ok');
    d.socket.destroy();
  });

  test('an invalid header value from the options answers 500 instead of splitting the head', async () => {
    const f = await start({ cors: { origin: '*', exposedHeaders: 'x\r\nInjected: 1' } });
    const answer = await lastAnswer(f, HANDSHAKE);
    assert.equal(answer.status, 500);
    assert.equal(answer.headers.injected, undefined);
  });

  test('a head that stalls past headersTimeout gets 408', async () => {
    const f = await start();
    f.http.headersTimeout = 200;
    const answer = await lastAnswer(f, 'GET /e/?EIO=4&transport=polling HTTP/1.1\r\nHost:');
    assert.equal(answer.status, 408);
  });

  test('a head started on a kept-alive connection has headersTimeout, not keepAliveTimeout', async () => {
    const f = await start();
    f.http.keepAliveTimeout = 100;
    const c = await RawConnection.open(f.port);
    await handshake(c);
    // A second connection goes idle after the first: once the sweep has closed it, the first's
    // keep-alive deadline has passed too, and only the half head it then received keeps it open.
    const control = await RawConnection.open(f.port);
    await handshake(control);
    c.write(HANDSHAKE.slice(0, 20));
    await control.closed;
    await new Promise((resolve) => setImmediate(resolve));
    const idleClosed = c.ended;
    assert.equal(idleClosed, false, 'closed while the head was arriving');
    c.write(HANDSHAKE.slice(20));
    assert.equal((await c.response()).status, 200);
    c.socket.destroy();
  });

  test('an idle keep-alive connection closes after keepAliveTimeout', async () => {
    const f = await start();
    f.http.keepAliveTimeout = 100;
    const c = await RawConnection.open(f.port);
    await handshake(c);
    await c.closed;
    assert.equal(c.ended, true);
  });
});

describe('the engine’s HTTP path under abuse', () => {
  test('a client that pipelines requests without reading the answers is read no further', async () => {
    const f = await start();
    let serverSide: Socket | undefined;
    f.http.on('connection', (socket: Socket) => {
      serverSide = socket;
    });
    const c = await RawConnection.open(f.port);
    c.socket.pause();
    // Each refused request (~60 bytes) gets a ~200-byte answer nobody reads.
    const request = getOf('unknown');
    const batch = request.repeat(1000);
    let sent = 0;
    const serverPaused = (): boolean => serverSide?.isPaused() === true;
    while (!serverPaused()) {
      const flowing = c.socket.write(batch);
      sent += 1000;
      assert.ok(sent < 1_000_000, 'the server kept reading');
      // The client's own buffers fill once the server stops reading: then only the pause is awaited.
      if (!flowing) {
        await Promise.race([
          new Promise((resolve) => c.socket.once('drain', resolve)),
          waitUntil(serverPaused, 'the server to stop reading', 10_000),
        ]);
      }
    }
    // What the server holds for the client is bounded by one batch of answers, not by what was sent.
    const buffered = serverSide?.writableLength ?? 0;
    assert.ok(buffered < 1_000 * 300, `${buffered} bytes buffered`);
    c.socket.resume();
    let answered = 0;
    while (answered < sent) {
      const answer = await c.response();
      assert.equal(answer.status, 400);
      answered++;
    }
    assert.equal(answered, sent);
    c.socket.destroy();
  });
});
