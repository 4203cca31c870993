/**
 * Connecting a plain WebSocket client: the query is the auth payload middlewares see, `?nsp=` picks
 * the namespace, a refusal is a connect_error frame then a close with code 1008, and frames sent
 * while the middlewares run are delivered once the socket is connected.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ConnectError, Server, Socket } from '../../src/index.js';
import { waitForArgs, withTimeout } from '../support/waiting.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, serverSocket, type TestServer } from './support.js';

afterEach(cleanup);

/** Opens a plain client expected to be refused: returns its connect_error frame and close. */
async function refused(server: TestServer, query: Record<string, string>) {
  const peer = new WsClient(server.wsUrl(query));
  const frame = await peer.nextJson('the connect_error frame');
  const closed = await withTimeout(peer.closed, 'the close');
  assert.equal(peer.pending, 0, 'frames after connect_error');
  return { frame, closed };
}

/** A client sends frames; once its pong comes back, the server has read them all. */
async function flushed(peer: WsClient): Promise<void> {
  const pong = waitForArgs(peer.ws, 'pong');
  peer.ws.ping();
  await pong;
}

test('io.use sees ?token= as socket.handshake.auth.token; other parameters come along', async () => {
  const server = await startServer({}, PARLEY);
  const seen: { auth: unknown; query: unknown }[] = [];
  server.io.use((socket, next) => {
    seen.push({ auth: socket.handshake.auth, query: socket.handshake.query });
    next();
  });
  const { id } = await connectPlain(server, { token: 's3cret', name: 'alice' });
  assert.deepEqual(seen, [
    { auth: { token: 's3cret', name: 'alice' }, query: { token: 's3cret', name: 'alice' } },
  ]);
  assert.deepEqual(serverSocket(server.io, id).handshake.auth, { token: 's3cret', name: 'alice' });
});

test('a middleware refusal sends connect_error with message and data, then closes with 1008', async () => {
  const server = await startServer({}, PARLEY);
  server.io.use((socket, next) => {
    if (socket.handshake.auth.token === 'good') return next();
    const err: ConnectError = new Error('not authorized');
    err.data = { reason: 'bad token', retry: false };
    next(err);
  });
  const { frame, closed } = await refused(server, { token: 'bad' });
  assert.deepEqual(frame, {
    event: 'connect_error',
    data: { message: 'not authorized', data: { reason: 'bad token', retry: false } },
  });
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, 'not authorized');
  assert.equal(server.io.plain?.clientsCount, 0);

  // The right token gets in.
  await connectPlain(server, { token: 'good' });
});

test('a refusal without data sends only the message; a throwing middleware refuses too, without its error', async (t) => {
  const reported = t.mock.method(console, 'error', () => undefined);
  const server = await startServer({}, PARLEY);
  server.io.use((socket, next) => {
    if (socket.handshake.auth.mode === 'throw') throw new Error('middleware exploded');
    next(new Error('go away'));
  });
  const plain = await refused(server, {});
  assert.deepEqual(plain.frame, { event: 'connect_error', data: { message: 'go away' } });
  assert.equal(plain.closed.code, 1008);

  const thrown = await refused(server, { mode: 'throw' });
  // What it threw is for the server's log (test/socket/failing-handlers.test.ts), not the client.
  assert.deepEqual(thrown.frame, { event: 'connect_error', data: { message: 'Internal server error' } });
  assert.equal(thrown.closed.code, 1008);
  assert.match(String(reported.mock.calls[0]?.arguments[1]), /middleware exploded/);
});

test('a long non-ASCII refusal message still closes with 1008 (reason cut to 123 bytes)', async () => {
  const server = await startServer({}, PARLEY);
  const message = 'refusé '.repeat(40);
  server.io.use((_socket, next) => next(new Error(message)));
  const { frame, closed } = await refused(server, {});
  assert.deepEqual(frame, { event: 'connect_error', data: { message } });
  assert.equal(closed.code, 1008);
  assert.ok(Buffer.byteLength(closed.reason) <= 123);
  assert.ok(message.startsWith(closed.reason));
  assert.equal(server.io.plain?.clientsCount, 0);
});

test('?nsp=/admin joins that namespace and runs its middlewares, not those of "/"', async () => {
  const server = await startServer({}, { ...PARLEY, namespaces: ['/admin'] });
  const admin = server.io.of('/admin');
  const calls: string[] = [];
  server.io.use((_socket, next) => {
    calls.push('/');
    next();
  });
  admin.use((socket, next) => {
    calls.push(`/admin ${socket.handshake.auth.token}`);
    next();
  });
  const connected = waitForArgs(admin, 'connection');
  const { peer, id } = await connectPlain(server, { nsp: '/admin', token: 't' });
  const [socket] = (await connected) as [Socket];
  assert.equal(socket.id, id);
  assert.equal(socket.nsp.name, '/admin');
  assert.deepEqual(socket.handshake.auth, { token: 't' }, 'nsp is not part of auth');
  assert.deepEqual(calls, ['/admin t']);
  assert.equal(server.io.of('/').sockets.size, 0);

  // Broadcasts of '/admin' reach it; those of '/' do not.
  server.io.emit('main', 1);
  admin.emit('admin', 2);
  assert.deepEqual(await peer.nextJson(), { event: 'admin', data: 2 });
});

test('a namespace name without its leading slash is accepted', async () => {
  const server = await startServer({}, { ...PARLEY, namespaces: ['/admin'] });
  const { id } = await connectPlain(server, { nsp: 'admin' });
  assert.equal(serverSocket(server.io, id, '/admin').nsp.name, '/admin');
});

test('an unknown namespace gets connect_error "Invalid namespace" and close 1008', async () => {
  const server = await startServer({}, PARLEY);
  const { frame, closed } = await refused(server, { nsp: '/nowhere' });
  assert.deepEqual(frame, { event: 'connect_error', data: { message: 'Invalid namespace' } });
  assert.equal(closed.code, 1008);
});

test('a dynamic namespace matching ?nsp= is created for the plain client', async () => {
  const server = await startServer({}, PARLEY);
  const parent = server.io.of(/^\/room-\d+$/);
  const connected = waitForArgs(parent, 'connection');
  const { peer } = await connectPlain(server, { nsp: '/room-42' });
  const [socket] = (await connected) as [Socket];
  assert.equal(socket.nsp.name, '/room-42');
  const gone = waitForArgs(socket, 'disconnect');
  await peer.close();
  const [reason] = await gone;
  assert.equal(reason, 'transport close');
});

/** Holds every connection in the middlewares until the returned function is called. */
function holdMiddlewares(io: Server): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  io.use((_socket, next) => {
    gate.then(() => next());
  });
  return release;
}

test('frames sent while the middlewares run are delivered after the connection event, in order', async () => {
  const server = await startServer({}, PARLEY);
  const release = holdMiddlewares(server.io);
  const received: unknown[] = [];
  const all = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) => {
      socket.on('message', (value: unknown) => {
        received.push(value);
        if (received.length === 3) resolve();
      });
    });
  });

  const peer = new WsClient(server.wsUrl());
  await withTimeout(peer.opened, 'open');
  peer.sendJson({ type: 'text', content: 'Hello' });
  peer.sendJson('second');
  await flushed(peer);
  release();
  const connect = (await peer.nextJson()) as { event: string };
  assert.equal(connect.event, 'connect');
  peer.sendJson('third');
  await withTimeout(all, 'three messages');
  assert.deepEqual(received, [{ type: 'text', content: 'Hello' }, 'second', 'third']);
});

test('more than 100 frames before acceptance: the extra ones are refused with an error frame', async () => {
  const server = await startServer({}, PARLEY);
  const release = holdMiddlewares(server.io);
  const received: unknown[] = [];
  const last = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) =>
      socket.on('n', (n: unknown) => {
        received.push(n);
        if (n === 'last') resolve();
      }),
    );
  });

  const peer = new WsClient(server.wsUrl());
  await withTimeout(peer.opened, 'open');
  for (let n = 0; n < 102; n++) peer.sendJson({ event: 'n', data: n });
  await flushed(peer);
  for (let i = 0; i < 2; i++) {
    const error = (await peer.nextJson()) as { event: string; data: { code: string } };
    assert.equal(error.event, 'error');
    assert.equal(error.data.code, 'invalid_envelope');
  }
  release();
  assert.equal(((await peer.nextJson()) as { event: string }).event, 'connect');
  peer.sendJson({ event: 'n', data: 'last' });
  await withTimeout(last, 'the frame after acceptance');
  assert.deepEqual(received, [...Array.from({ length: 100 }, (_, n) => n), 'last']);
});

test('a client that leaves while the middlewares run never connects and leaves no session', async () => {
  const server = await startServer({}, PARLEY);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let connClosed: Promise<unknown[]> | undefined;
  server.io.use((socket, next) => {
    connClosed = waitForArgs(socket.conn, 'close');
    gate.then(() => next());
  });
  let connections = 0;
  server.io.on('connection', () => connections++);
  const peer = new WsClient(server.wsUrl());
  await withTimeout(peer.opened, 'open');
  await flushed(peer);
  assert.ok(connClosed, 'the middleware ran');
  peer.ws.close();
  assert.deepEqual(await connClosed, ['transport close', undefined]);
  assert.equal(server.io.plain?.clientsCount, 0);
  release();
  await gate;
  assert.equal(connections, 0);
  assert.equal(server.io.of('/').sockets.size, 0);
});
