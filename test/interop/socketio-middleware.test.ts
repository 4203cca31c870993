/**
 * Interop: connection middleware (`io.use`, `namespace.use`) and packet middleware (`socket.use`).
 *
 * Official socket.io 4.8 behaviour encoded here:
 * - an Error passed to `next(err)` in connection middleware reaches the client as `connect_error` with
 *   `err.message` and `err.data` (data only when set);
 * - a packet rejected by `socket.use` middleware is dropped (no handler runs, no ack is sent) and the
 *   *server-side* socket emits 'error' with that Error; the client is told nothing. Apps typically
 *   react with `socket.on('error', () => socket.disconnect())`.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  connectNamespace,
  deferred,
  forEachTransport,
  makeClient,
  startServer,
  waitFor,
  waitForArgs,
  whenConnected,
} from '../support/fixtures.js';

afterEach(cleanup);

class AuthError extends Error {
  data?: unknown;
}

forEachTransport((setup) => {
  test('io.use rejecting with an Error carrying data: client connect_error has its message and data', async () => {
    const { io, url } = await startServer();
    let connections = 0;
    io.on('connection', () => connections++);
    io.use((_socket, next) => {
      const err = new AuthError('not authorized');
      err.data = { code: 401, content: ['please', 'retry'] };
      next(err);
    });
    const client = makeClient(url, { setup });
    const err = await waitFor<Error & { data?: unknown }>(client, 'connect_error');
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'not authorized');
    assert.deepEqual(err.data, { code: 401, content: ['please', 'retry'] });
    assert.equal(client.connected, false);
    assert.equal(connections, 0);
    assert.equal(io.of('/').sockets.size, 0);
  });

  test('io.use rejecting with a plain Error: client connect_error has its message and no data', async () => {
    const { io, url } = await startServer();
    io.use((_socket, next) => next(new Error('plain refusal')));
    const client = makeClient(url, { setup });
    const err = await waitFor<Error & { data?: unknown }>(client, 'connect_error');
    assert.equal(err.message, 'plain refusal');
    assert.equal(err.data, undefined);
  });

  test('middlewares run in order, may be async, see the handshake and can set socket.data', async () => {
    const { io, url } = await startServer();
    const order: string[] = [];
    const inNamespaceDuringMiddleware: boolean[] = [];
    io.use((socket, next) => {
      order.push('first');
      inNamespaceDuringMiddleware.push(io.of('/').sockets.has(socket.id));
      socket.data.user = (socket.handshake.auth as { user?: string }).user;
      next();
    });
    io.use(async (socket, next) => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push('second');
      socket.data.checked = true;
      next();
    });
    const connection = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup, auth: { user: 'ada' } });
    const socket = await connection;
    assert.deepEqual(order, ['first', 'second']);
    // The socket is not yet part of the namespace while middleware runs.
    assert.deepEqual(inNamespaceDuringMiddleware, [false]);
    assert.deepEqual(socket.data, { user: 'ada', checked: true });
  });

  test('a later middleware does not run once an earlier one rejected', async () => {
    const { io, url } = await startServer();
    let secondRan = false;
    io.use((_socket, next) => next(new Error('stop here')));
    io.use((_socket, next) => {
      secondRan = true;
      next();
    });
    const err = await waitFor<Error>(makeClient(url, { setup }), 'connect_error');
    assert.equal(err.message, 'stop here');
    assert.equal(secondRan, false);
  });

  test('middleware can accept one client and refuse another based on auth', async () => {
    const { io, url } = await startServer();
    io.use((socket, next) => {
      const { token } = socket.handshake.auth as { token?: string };
      next(token === 'good' ? undefined : new Error('bad token'));
    });
    await connectClient(url, { setup, auth: { token: 'good' } });
    const err = await waitFor<Error>(makeClient(url, { setup, auth: { token: 'bad' } }), 'connect_error');
    assert.equal(err.message, 'bad token');
    assert.equal(io.of('/').sockets.size, 1);
  });

  test('a refused client can call connect() again and be accepted', async () => {
    const { io, url } = await startServer();
    let attempts = 0;
    io.use((_socket, next) => {
      attempts++;
      next(attempts === 1 ? new Error('first attempt refused') : undefined);
    });
    const client = makeClient(url, { setup });
    const err = await waitFor<Error>(client, 'connect_error');
    assert.equal(err.message, 'first attempt refused');
    client.connect();
    await whenConnected(client);
    assert.equal(attempts, 2);
    assert.ok(io.of('/').sockets.has(client.id ?? ''));
  });

  test('namespace middleware only guards its own namespace, also on a shared connection', async () => {
    const { io, url } = await startServer();
    const admin = io.of('/admin');
    admin.use((socket, next) => {
      const err = new AuthError('admins only');
      err.data = { nsp: socket.nsp.name };
      next(err);
    });
    let mainMiddleware = 0;
    io.use((_socket, next) => {
      mainMiddleware++;
      next();
    });
    const mainClient = await connectClient(url, { setup });
    const adminClient = mainClient.io.socket('/admin');
    const err = await waitFor<Error & { data?: unknown }>(adminClient, 'connect_error');
    assert.equal(err.message, 'admins only');
    assert.deepEqual(err.data, { nsp: '/admin' });
    adminClient.disconnect();
    // io.use is the main namespace's middleware: it ran for '/' only.
    assert.equal(mainMiddleware, 1);
    assert.equal(mainClient.connected, true);
    assert.equal(admin.sockets.size, 0);
    // Another namespace without middleware is reachable on the same connection.
    io.of('/public');
    const pub = await connectNamespace(mainClient.io, '/public');
    assert.equal(pub.connected, true);
  });

  test('socket.use sees every incoming packet as [event, ...args] and can rewrite arguments', async () => {
    const { io, url } = await startServer();
    const packets: unknown[][] = [];
    io.on('connection', (socket) => {
      socket.use((packet, next) => {
        packets.push([...packet].filter((x) => typeof x !== 'function'));
        if (packet[0] === 'shout' && typeof packet[1] === 'string') packet[1] = packet[1].toUpperCase();
        next();
      });
      socket.on('shout', (text: string, cb: (t: string) => void) => cb(text));
    });
    const client = await connectClient(url, { setup });
    assert.equal(await client.emitWithAck('shout', 'hello'), 'HELLO');
    assert.deepEqual(packets, [['shout', 'hello']]);
  });

  test("socket.use rejecting a packet: handler and ack skipped, server socket emits 'error', client told nothing", async () => {
    const { io, url } = await startServer();
    const handled: string[] = [];
    const serverError = deferred<unknown>();
    io.on('connection', (socket) => {
      socket.use(([event], next) => {
        if (event === 'forbidden') {
          const err = new AuthError('packet refused');
          err.data = { event };
          return next(err);
        }
        next();
      });
      socket.on('error', (err) => serverError.resolve(err));
      socket.on('forbidden', (cb: () => void) => {
        handled.push('forbidden');
        cb();
      });
      socket.on('allowed', (cb: (v: string) => void) => {
        handled.push('allowed');
        cb('ok');
      });
    });
    const client = await connectClient(url, { setup });
    const clientErrors: unknown[] = [];
    client.on('error' as 'connect_error', (e: unknown) => clientErrors.push(e));
    let forbiddenAcked = false;
    client.emit('forbidden', () => {
      forbiddenAcked = true;
    });
    // Packets are processed in order, so once 'allowed' is acked the 'forbidden' one was dealt with.
    assert.equal(await client.emitWithAck('allowed'), 'ok');
    const err = await serverError.promise;
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'packet refused');
    assert.deepEqual(handled, ['allowed']);
    assert.equal(forbiddenAcked, false);
    assert.deepEqual(clientErrors, []);
    assert.equal(client.connected, true);
  });

  test("the usual pattern — disconnect in the socket 'error' listener — disconnects the client", async () => {
    const { io, url } = await startServer();
    const serverReason = deferred<string>();
    io.on('connection', (socket) => {
      socket.use((_packet, next) => next(new Error('unauthorized event')));
      socket.on('error', (err) => {
        if (err.message === 'unauthorized event') socket.disconnect();
      });
      socket.on('disconnect', (reason) => serverReason.resolve(reason));
    });
    const client = await connectClient(url, { setup });
    const clientReason = waitForArgs(client, 'disconnect');
    client.emit('anything', 1);
    assert.equal((await clientReason)[0], 'io server disconnect');
    assert.equal(await serverReason.promise, 'server namespace disconnect');
  });
});
