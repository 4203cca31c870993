/**
 * Plain WebSocket clients are sockets like any other: fetchSockets lists them, socketsJoin /
 * socketsLeave / disconnectSockets act on them, remote sockets can emit to them, and their
 * disconnections carry socket.io's reasons.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { waitForArgs } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, disconnectReason, serverSocket } from './support.js';

afterEach(cleanup);

test('io.fetchSockets() and io.in(room).fetchSockets() include plain sockets', async () => {
  const server = await startServer({}, PARLEY);
  const { id: plainId } = await connectPlain(server);
  const sio = await connectSio(server);
  serverSocket(server.io, plainId).join('ops');

  const all = await server.io.fetchSockets();
  assert.deepEqual(all.map((s) => s.id).sort(), [plainId, sio.id].sort());
  const ops = await server.io.in('ops').fetchSockets();
  assert.deepEqual(
    ops.map((s) => s.id),
    [plainId],
  );
  const found = ops[0];
  assert.ok(found);
  assert.ok(found.rooms.has('ops'));
  // In a single process, fetchSockets hands out the live socket itself.
  assert.equal(found, serverSocket(server.io, plainId));
});

test('a socket from fetchSockets can emit to and disconnect a plain client', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const [found] = await server.io.fetchSockets();
  assert.ok(found && 'emit' in found, 'a local socket');
  found.emit('hello', 'from afar');
  assert.deepEqual(await peer.nextJson(), { event: 'hello', data: 'from afar' });
  const reason = disconnectReason(serverSocket(server.io, id));
  found.disconnect();
  assert.equal(await reason, 'server namespace disconnect');
  assert.equal((await peer.closed).code, 1000);
});

test('socketsJoin and socketsLeave move plain sockets between rooms', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const sio = await connectSio(server);

  server.io.socketsJoin('news');
  assert.ok(serverSocket(server.io, id).rooms.has('news'));
  const sioGot = waitForArgs(sio, 'headline');
  server.io.to('news').emit('headline', 'joined');
  assert.deepEqual(await peer.nextJson(), { event: 'headline', data: 'joined' });
  assert.deepEqual(await sioGot, ['joined']);

  server.io.in(id).socketsLeave('news');
  assert.equal(serverSocket(server.io, id).rooms.has('news'), false);
  server.io.to('news').emit('headline', 'only sio');
  server.io.emit('marker');
  // The marker comes first: the plain client got no second headline.
  assert.deepEqual(await peer.nextJson(), { event: 'marker' });
});

test('io.disconnectSockets() disconnects plain sockets with "server namespace disconnect"', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const sio = await connectSio(server);
  const plainReason = disconnectReason(serverSocket(server.io, id));
  const sioReason = disconnectReason(serverSocket(server.io, sio.id ?? ''));
  const sioClientReason = waitForArgs(sio, 'disconnect');

  server.io.disconnectSockets();
  assert.equal(await plainReason, 'server namespace disconnect');
  assert.equal(await sioReason, 'server namespace disconnect');
  assert.deepEqual(await peer.closed, { code: 1000, reason: 'server namespace disconnect' });
  assert.equal((await sioClientReason)[0], 'io server disconnect');
});

test('socket.disconnect() closes the WebSocket; reason "server namespace disconnect"', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  const reason = disconnectReason(socket);
  const disconnecting = waitForArgs(socket, 'disconnecting');
  socket.disconnect();
  const [why] = await disconnecting;
  assert.equal(why, 'server namespace disconnect');
  assert.equal(await reason, 'server namespace disconnect');
  assert.deepEqual(await peer.closed, { code: 1000, reason: 'server namespace disconnect' });
  assert.equal(socket.connected, false);
  assert.equal(server.io.plain?.clientsCount, 0);
});

test('socket.disconnect(true) closes the WebSocket too, with socket.io\'s reason', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const reason = disconnectReason(serverSocket(server.io, id));
  serverSocket(server.io, id).disconnect(true);
  assert.equal(await reason, 'server namespace disconnect');
  assert.equal((await peer.closed).code, 1000);
});

test('a client closing its WebSocket gives "transport close"; rooms are left', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  socket.join('lobby');
  const roomsWhileDisconnecting = new Promise<Set<string>>((resolve) =>
    socket.once('disconnecting', () => resolve(new Set(socket.rooms))),
  );
  const reason = disconnectReason(socket);
  peer.ws.close(1000, 'bye');
  assert.equal(await reason, 'transport close');
  assert.ok((await roomsWhileDisconnecting).has('lobby'));
  assert.equal(socket.rooms.size, 0);
  assert.deepEqual(await server.io.in('lobby').fetchSockets(), []);
});

test('an abrupt client end (TCP reset) gives a transport reason', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const reason = disconnectReason(serverSocket(server.io, id));
  peer.ws.terminate();
  assert.match(await reason, /^transport (close|error)$/);
});

test('socket.conn describes the plain connection; conn.close() ends it', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server, { name: 'alice' });
  const socket: Socket = serverSocket(server.io, id);
  assert.equal(socket.conn.transport.name, 'websocket');
  assert.equal(socket.conn.readyState, 'open');
  assert.equal(socket.conn.remoteAddress, '127.0.0.1');
  assert.match(socket.request.url ?? '', /name=alice/);
  assert.equal(socket.handshake.address, '127.0.0.1');
  const reason = disconnectReason(socket);
  const connClosed = waitForArgs(socket.conn, 'close');
  socket.conn.close();
  assert.equal(await reason, 'forced close');
  assert.equal((await connClosed)[0], 'forced close');
  assert.equal((await peer.closed).code, 1000);
});

test('io.close() closes plain clients with 1001 and "server shutting down"', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const reason = disconnectReason(serverSocket(server.io, id));
  const closing = server.io.close();
  assert.equal(await reason, 'server shutting down');
  assert.equal((await peer.closed).code, 1001);
  await closing;
});

test('the counts follow plain clients: io.plain.clientsCount and the namespace sockets', async () => {
  const server = await startServer({}, PARLEY);
  const peers = [];
  for (let i = 0; i < 3; i++) peers.push(await connectPlain(server));
  await connectSio(server);
  assert.equal(server.io.plain?.clientsCount, 3);
  assert.equal(server.io.engine.clientsCount, 1);
  assert.equal(server.io.of('/').sockets.size, 4);

  const first = peers[0];
  assert.ok(first);
  const reason = disconnectReason(serverSocket(server.io, first.id));
  first.peer.ws.close();
  await reason;
  assert.equal(server.io.plain?.clientsCount, 2);
  assert.equal(server.io.of('/').sockets.size, 3);
});
