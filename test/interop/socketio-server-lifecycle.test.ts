/**
 * Interop: the server's lifecycle as socket.io 4.8 has it: `attach(srv, opts)` / `listen(port,
 * opts)` merge their options under the constructor's; `io.listen()` after `io.close()` serves
 * again; `io.httpServer` is the server attached to; `cleanupEmptyChildNamespaces` removes an
 * emptied dynamic child, created anew (with `new_namespace`) on the next connection. Run against
 * parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { Namespace, Socket as ServerSocket } from 'socket.io';
import { SessionAwareAdapter } from 'socket.io-adapter';
import { cleanup, connectClient, deferred, makeClient, serverKind, startServer, waitFor, waitUntil } from '../support/fixtures.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { http } from '../support/raw-clients.js';
import { Server, type ServerOptions } from '../support/server-under-test.js';

const SHORT_HEARTBEAT = { pingInterval: 300, pingTimeout: 200 } as const;

/** Servers a test made itself (not through startServer), closed after it. */
const opened: { io: Server; http: HttpServer[] }[] = [];

afterEach(async () => {
  await cleanup();
  for (const { io, http: servers } of opened.splice(0)) {
    await io.close();
    for (const server of servers) await closeHttp(server);
  }
});

/** An HTTP server on 127.0.0.1 answering 404 to what the Socket.IO server does not take. */
async function loopbackServer(): Promise<{ server: HttpServer; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const port = await listenOnLoopback(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

function track(io: Server, ...servers: HttpServer[]): Server {
  opened.push({ io, http: servers });
  return io;
}

function portOf(io: Server): number {
  return ((io.httpServer as HttpServer).address() as AddressInfo).port;
}

describe('attach and listen take options', () => {
  test('attach(srv, opts) applies options the constructor did not give (path, heartbeat)', async () => {
    const { server, url } = await loopbackServer();
    const io = track(new Server(), server);
    io.attach(server, { path: '/attached', ...SHORT_HEARTBEAT });
    const handshake = await http(`${url}/attached/?EIO=4&transport=polling`);
    assert.equal(handshake.status, 200);
    const open = JSON.parse(handshake.body.slice(1)) as { pingInterval: number; pingTimeout: number };
    assert.equal(open.pingInterval, 300);
    assert.equal(open.pingTimeout, 200);
    const client = await connectClient(url, { path: '/attached' });
    assert.ok(client.connected);
    assert.equal(io.httpServer, server);
  });

  test("the constructor's options win over attach's for the same key", async () => {
    const { server, url } = await loopbackServer();
    const io = track(new Server({ path: '/mine', pingInterval: 250, pingTimeout: 200 }), server);
    io.attach(server, { path: '/theirs', pingInterval: 1000 });
    const open = await http(`${url}/mine/?EIO=4&transport=polling`);
    assert.equal(open.status, 200);
    assert.equal((JSON.parse(open.body.slice(1)) as { pingInterval: number }).pingInterval, 250);
    assert.equal((await http(`${url}/theirs/?EIO=4&transport=polling`)).status, 404);
  });

  test('listen(port, opts) creates an HTTP server listening on the port, as io.httpServer', async () => {
    const io = track(new Server(SHORT_HEARTBEAT));
    io.listen(0, { path: '/listened' });
    const httpServer = io.httpServer as HttpServer;
    if (!httpServer.listening) await waitFor(httpServer, 'listening');
    const url = `http://127.0.0.1:${portOf(io)}`;
    const client = await connectClient(url, { path: '/listened' });
    assert.ok(client.connected);
    assert.equal((await http(`${url}/elsewhere`)).status, 404, 'what is not the engine’s gets a 404');
  });
});

describe('listen after close', () => {
  test('io.listen() after io.close() serves again: a new HTTP server, the same namespaces and listeners', async () => {
    const io = track(new Server(SHORT_HEARTBEAT));
    const seen: string[] = [];
    io.on('connection', (socket: ServerSocket) => seen.push(socket.id));
    io.listen(0);
    if (!(io.httpServer as HttpServer).listening) await waitFor(io.httpServer as HttpServer, 'listening');
    const first = await connectClient(`http://127.0.0.1:${portOf(io)}`);
    const gone = waitFor(first, 'disconnect');
    await io.close();
    await gone;
    const before = io.httpServer;
    io.listen(0);
    assert.notEqual(io.httpServer, before, 'a new HTTP server');
    if (!(io.httpServer as HttpServer).listening) await waitFor(io.httpServer as HttpServer, 'listening');
    const second = await connectClient(`http://127.0.0.1:${portOf(io)}`, { transports: ['websocket'] });
    assert.ok(second.connected);
    const third = await connectClient(`http://127.0.0.1:${portOf(io)}`, { transports: ['polling'] });
    assert.ok(third.connected);
    assert.equal(seen.length, 3, 'the connection listener still runs');
    assert.deepEqual([...(await io.allSockets())].sort(), [second.id, third.id].sort());
  });

  test('io.attach(srv) after io.close() serves on the HTTP server given', async () => {
    const firstHttp = await loopbackServer();
    const io = track(new Server(firstHttp.server, SHORT_HEARTBEAT));
    await connectClient(firstHttp.url);
    await io.close();
    const { server, url } = await loopbackServer();
    opened.push({ io, http: [server] });
    io.attach(server);
    const client = await connectClient(url);
    assert.ok(client.connected);
  });

  test(
    'io.attach(srv) after io.close() on the same HTTP server, listening again: polling and WebSocket both connect',
    // socket.io throws there (both engines take the upgrade: ws's "handleUpgrade() was called more than once").
    { skip: serverKind === 'socket.io' ? 'socket.io throws on the WebSocket upgrade' : false },
    async () => {
      const { server } = await loopbackServer();
      const io = track(new Server(server, SHORT_HEARTBEAT), server);
      await io.close();
      const port = await listenOnLoopback(server);
      io.attach(server);
      const url = `http://127.0.0.1:${port}`;
      assert.ok((await connectClient(url, { transports: ['polling'] })).connected);
      assert.ok((await connectClient(url, { transports: ['websocket'] })).connected);
      assert.ok((await connectClient(url, { upgraded: true })).connected);
    },
  );
});

describe('cleanupEmptyChildNamespaces', () => {
  async function childLifecycle(options: ServerOptions) {
    const { io, url } = await startServer(options);
    const created: Namespace[] = [];
    io.on('new_namespace', (nsp) => created.push(nsp));
    const parent = io.of(/^\/dyn-\d+$/);
    const connected: ServerSocket[] = [];
    parent.on('connection', (socket: ServerSocket) => connected.push(socket));
    // A child copies the parent's listeners when it is made: one listener, set before any child.
    const join = async (nsp: string) => {
      const count = connected.length;
      const client = await connectClient(url, { nsp });
      await waitUntil(() => connected.length > count, 'the server-side connection');
      return { client, socket: connected[count]! };
    };
    const visit = async () => {
      const { client, socket } = await join('/dyn-1');
      const left = waitFor(socket, 'disconnect');
      client.disconnect();
      await left;
      return socket.nsp;
    };
    return { created, join, visit };
  }

  test('on: a child left by its last socket is removed; the next connection creates it again, with new_namespace', async () => {
    const { created, visit } = await childLifecycle({ cleanupEmptyChildNamespaces: true });
    const first = await visit();
    const second = await visit();
    assert.notEqual(first, second, 'a new namespace object');
    assert.deepEqual(
      created.map((nsp) => nsp.name),
      ['/dyn-1', '/dyn-1'],
    );
    assert.equal(created[1], second);
  });

  test('on: the child stays while one of its sockets is still connected', async () => {
    const { created, join } = await childLifecycle({ cleanupEmptyChildNamespaces: true });
    const staying = await join('/dyn-2');
    const leaving = await join('/dyn-2');
    const left = waitFor(leaving.socket, 'disconnect');
    leaving.client.disconnect();
    await left;
    const third = await join('/dyn-2');
    assert.equal(third.socket.nsp, staying.socket.nsp, 'the third socket joins the same child');
    assert.ok(staying.client.connected);
    assert.deepEqual(
      created.map((n) => n.name),
      ['/dyn-2'],
    );
  });

  /** Connects a client to `nsp` of a parent that refuses everyone; resolves once it got the refusal. */
  async function refusedVisit(options: ServerOptions) {
    const { io, url } = await startServer(options);
    const parent = io.of(/^\/dyn-\d+$/);
    parent.use((_socket, next) => next(new Error('not you')));
    const refused = await connectClient(url, { nsp: '/dyn-7' }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    assert.equal(refused, 'not you');
    return io;
  }

  test('on: a child whose only client the middlewares refused is removed too', async () => {
    const io = await refusedVisit({ cleanupEmptyChildNamespaces: true });
    await waitUntil(() => !io._nsps.has('/dyn-7'), 'the refused child to be removed');
  });

  test(
    'on: a refusal while another client of the child is still in the middlewares leaves the child (that client joins it)',
    { skip: serverKind === 'socket.io' ? 'socket.io removes the child then, and lets the other client into the removed one' : false },
    async () => {
      const { io, url } = await startServer({ cleanupEmptyChildNamespaces: true });
      const parent = io.of(/^\/dyn-\d+$/);
      const slowGate = deferred<void>();
      const slowInMiddleware = deferred<void>();
      parent.use((socket, next) => {
        if (socket.handshake.auth.slow !== true) return next(new Error('not you'));
        slowInMiddleware.resolve();
        void slowGate.promise.then(() => next());
      });
      const slow = connectClient(url, { nsp: '/dyn-8', auth: { slow: true } });
      await slowInMiddleware.promise;
      await connectClient(url, { nsp: '/dyn-8' }).then(
        () => assert.fail('the second client was refused'),
        () => undefined,
      );
      assert.ok(io._nsps.has('/dyn-8'), 'the child stays while a client is on the way in');
      slowGate.resolve();
      const client = await slow;
      assert.equal(io._nsps.get('/dyn-8')?.sockets.has(client.id!), true);
    },
  );

  test('on: a child whose only client went away while its session was being restored is removed', async () => {
    const restoring = deferred<void>();
    const gate = deferred<void>();
    // The adapter of connection state recovery, its restore held until the client has gone.
    class HeldRestore extends SessionAwareAdapter {
      override async restoreSession(pid: string, offset: string) {
        restoring.resolve();
        await gate.promise;
        return super.restoreSession(pid, offset);
      }
    }
    const { io, url } = await startServer({
      cleanupEmptyChildNamespaces: true,
      connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
      adapter: HeldRestore as never,
    });
    const parent = io.of(/^\/dyn-\d+$/);
    let connections = 0;
    parent.on('connection', () => connections++);
    // A pid and offset in the auth make the server try to restore a session.
    const client = makeClient(url, { nsp: '/dyn-9', auth: { pid: 'gone', offset: '0-0' } });
    await restoring.promise;
    assert.ok(io._nsps.has('/dyn-9'), 'the child exists while the restore is pending');
    client.disconnect();
    await waitUntil(() => io.engine.clientsCount === 0, 'the client to be gone');
    gate.resolve();
    await waitUntil(() => !io._nsps.has('/dyn-9'), 'the child to be removed');
    assert.equal(connections, 0);
  });

  test('off: a child whose only client was refused stays, empty', async () => {
    const io = await refusedVisit({});
    assert.equal(io._nsps.get('/dyn-7')?.sockets.size, 0);
  });

  test('off (the default): an emptied child stays, and new_namespace is not emitted again', async () => {
    const { created, visit } = await childLifecycle({});
    const first = await visit();
    const second = await visit();
    assert.equal(first, second);
    assert.deepEqual(
      created.map((nsp) => nsp.name),
      ['/dyn-1'],
    );
  });

  test('on: a static namespace is never removed', async () => {
    const { io, url } = await startServer({ cleanupEmptyChildNamespaces: true });
    const created: string[] = [];
    io.on('new_namespace', (nsp) => created.push(nsp.name));
    const statik = io.of('/static');
    const arrived = waitFor<ServerSocket>(statik, 'connection');
    const client = await connectClient(url, { nsp: '/static' });
    const left = waitFor(await arrived, 'disconnect');
    client.disconnect();
    await left;
    assert.equal(io.of('/static'), statik);
    assert.deepEqual(created, ['/static']);
  });
});
