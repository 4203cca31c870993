/** `probe()` where there is no Socket.IO: a plain `ws` server, an HTTP 404 server, a closed port, a non-routable address, a bad URL. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { formatReport, probe } from '../../src/probe/index.js';
import { startCommand } from '../support/processes.js';
import { withTimeout } from '../support/waiting.js';
import { closedPort, type Endpoint, notFoundEndpoint, plainWsEndpoint } from './endpoints.js';

const open: Endpoint[] = [];
afterEach(async () => {
  for (const endpoint of open.splice(0)) await endpoint.close();
});

describe('probe: no Socket.IO', () => {
  test('a plain WebSocket server is recognised, with its first frame, and no Socket.IO client code', async () => {
    const server = await plainWsEndpoint('/feed');
    open.push(server);
    const report = await probe(`${server.origin.replace('http', 'ws')}/feed`, { timeoutMs: 1000 });
    assert.deepEqual(report.verdict, { kind: 'websocket', path: '/feed', firstFrame: '{"hello":"plain"}' });
    assert.deepEqual(report.speaks, { socketio: false, websocket: true });
    assert.deepEqual(report.snippets, []);
    assert.equal(report.gateway, undefined);
    assert.equal(report.exitCode, 0);
    assert.equal(report.evidence.find((c) => c.id === 'socketio-connect')?.status, 'skipped');
    assert.match(report.summary, /^This is a plain WebSocket server at path \/feed/);
    assert.match(report.summary, /a Socket\.IO client cannot connect to it/);
    assert.equal((await probe(`${server.origin}/feed`, { expect: 'socketio', timeoutMs: 1000 })).exitCode, 1);
  });

  test('an HTTP server answering 404 speaks neither: exit code 1, and the advice is to check the path', async () => {
    const server = await notFoundEndpoint();
    open.push(server);
    const report = await probe(`${server.origin}/ws/chat/`, { timeoutMs: 1000 });
    assert.deepEqual(report.verdict, { kind: 'http-only', path: '/ws/chat/', status: 404 });
    assert.deepEqual(report.speaks, { socketio: false, websocket: false });
    assert.equal(report.exitCode, 1);
    assert.match(
      report.summary,
      /answers HTTP, but speaks neither Socket\.IO nor plain WebSocket at \/ws\/chat\//,
    );
    assert.match(report.summary, /Check the path/);
  });

  test('a closed port is unreachable (exit code 2) after one request, at once', async () => {
    const origin = await closedPort();
    const began = performance.now();
    const report = await probe(`${origin}/ws/chat/`);
    assert.ok(performance.now() - began < 2000, 'a refused connection is known at once');
    assert.equal(report.verdict.kind, 'unreachable');
    assert.equal(report.verdict.kind === 'unreachable' && report.verdict.error.code, 'refused');
    assert.equal(report.exitCode, 2);
    assert.equal(report.evidence.length, 1, 'nothing else is asked of a host that is not there');
    assert.match(
      report.summary,
      /Cannot reach 127\.0\.0\.1:\d+: the connection was refused: nothing listens on that port/,
    );
    assert.match(formatReport(report), /FAIL {2}GET \/ws\/chat\//);
  });

  // Tests reach 127.0.0.1 only: a host that drops packets is played by a listener whose queue is full.
  test('a listener whose accept queue is full (SYNs dropped) is a connect-timeout, exit code 2', async () => {
    // A socket that listens with a backlog of 0 and never accepts: once a connection fills its
    // queue, Linux drops further SYNs, as a firewall does, so this is a non-routable host on loopback.
    const script = [
      'import socket, time',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
      'print(s.getsockname()[1], flush=True)',
      'time.sleep(60)',
    ].join('\n');
    const listener = await startCommand('/usr/bin/python3', ['-c', script], {
      stderr: 'pipe',
      ready: (line) => (/^\d+$/.test(line) ? Number(line) : undefined),
    });
    const fillers: Socket[] = [];
    try {
      const port = listener.ready;
      for (let i = 0; i < 3; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
      // The first filler takes the queue's one place (its handshake completes); the others' SYNs are dropped.
      await withTimeout(once(fillers[0]!, 'connect'), 'the first filler to connect');
      const began = performance.now();
      const report = await probe(`http://127.0.0.1:${port}/ws/chat/`, { timeoutMs: 300 });
      const elapsed = performance.now() - began;
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      assert.equal(report.verdict.kind === 'unreachable' && report.verdict.error.code, 'connect-timeout');
      assert.equal(report.exitCode, 2);
      assert.match(report.summary, /no TCP connection could be made in time/);
    } finally {
      for (const socket of fillers) socket.destroy();
      await listener.stop('SIGKILL');
    }
  });

  test("a peer that accepts TCP but never answers is given up after the first check's timeout", async () => {
    const silent = createServer(() => {});
    const sockets = new Set<Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const began = performance.now();
      const report = await probe(`http://127.0.0.1:${port}/ws/chat/`, { timeoutMs: 300 });
      const elapsed = performance.now() - began;
      assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
      assert.equal(report.verdict.kind === 'unreachable' && report.verdict.error.code, 'timeout');
      assert.equal(report.exitCode, 2);
      assert.match(report.summary, /the TCP connection was made, but no HTTP answer came in time/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('an unusable URL is a verdict, not a throw', async () => {
    const report = await probe('ftp://example.com/x');
    assert.equal(report.verdict.kind, 'unreachable');
    assert.equal(report.verdict.kind === 'unreachable' && report.verdict.error.code, 'invalid-url');
    assert.equal(report.exitCode, 2);
  });
});
