/**
 * What is emitted while disconnected is buffered up to maxBufferedPackets and sent once connected;
 * past the bound an emit is dropped and reported. Volatile emits are never buffered. A
 * websocket-first client falls back to polling when the server refuses WebSocket; connect_error
 * carries a refusal's message and data.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { AckError, ConnectError, type DroppedPacket } from '../../src/client/index.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { countdown, waitFor } from '../support/waiting.js';
import { client, closeOfficialServers, connected, forEachSetup, startSocketIo4 } from './support.js';

afterEach(async () => {
  await closeOfficialServers();
  await cleanup();
});

forEachSetup((setup) => {
  test('emits before the connection are buffered and sent in order once connected', async () => {
    const server = await startServer({}, PARLEY);
    const got = countdown<unknown>(3);
    server.io.on('connection', (s) => s.on('n', (n: unknown) => got.hit(n)));
    const socket = client(server.url, { ...setup.opts, autoConnect: false });
    socket.emit('n', 1);
    socket.emit('n', 2);
    socket.volatile.emit('n', 'volatile: dropped');
    socket.emit('n', 3);
    assert.equal(socket.bufferedPackets, 3);
    socket.connect();
    assert.deepEqual(await got.wait('buffered events'), [1, 2, 3]);
    assert.equal(socket.bufferedPackets, 0);
  });

  test('past maxBufferedPackets an emit is dropped: packet_dropped, and its ack gets an AckError', async () => {
    const server = await startServer({}, PARLEY);
    const got = countdown<unknown>(2);
    server.io.on('connection', (s) => s.on('n', (n: unknown) => got.hit(n)));
    const socket = client(server.url, { ...setup.opts, autoConnect: false, maxBufferedPackets: 2 });
    const dropped: DroppedPacket[] = [];
    socket.on('packet_dropped', (packet: DroppedPacket) => dropped.push(packet));
    socket.emit('n', 1);
    socket.emit('n', 2);
    const rejected = socket.emitWithAck('n', 3);
    const timed = new Promise((resolve) => socket.timeout(1000).emit('n', 4, resolve));
    await assert.rejects(rejected, (err: unknown) => err instanceof AckError && err.code === 'buffer full');
    const err = await timed;
    assert.ok(err instanceof AckError && err.code === 'buffer full');
    assert.deepEqual(
      dropped.map((p) => [p.reason, p.event, p.args]),
      [
        ['buffer full', 'n', [3]],
        ['buffer full', 'n', [4]],
      ],
    );
    socket.connect();
    assert.deepEqual(await got.wait('the buffered events'), [1, 2]);
  });

  test('emits while the connection is lost are buffered and delivered after the reconnection', async () => {
    const server = await startServer({}, PARLEY);
    const connections: ServerSocket[] = [];
    const got = countdown<unknown>(2);
    server.io.on('connection', (s) => {
      connections.push(s as never);
      s.on('n', (n: unknown) => got.hit(n));
    });
    const socket = await connected(client(server.url, setup.opts), setup);
    const lost = waitFor(socket, 'disconnect');
    connections[0]!.conn.close();
    await lost;
    socket.emit('n', 'while away');
    socket.volatile.emit('n', 'volatile: dropped');
    await waitFor(socket, 'connect');
    socket.emit('n', 'after');
    assert.deepEqual(await got.wait('events'), ['while away', 'after']);
  });

  test('connect_error carries the message and data of a middleware refusal', async () => {
    const server = await startServer({}, PARLEY);
    server.io.use((_s, next) => next(Object.assign(new Error('not allowed'), { data: { hint: 'log in' } })));
    const socket = client(server.url, setup.opts);
    const err = await waitFor<ConnectError>(socket, 'connect_error');
    assert.ok(err instanceof ConnectError);
    assert.equal(err.reason, 'refused');
    assert.equal(err.message, 'not allowed');
    assert.deepEqual(err.data, { hint: 'log in' });
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false);
  });
});

test("transports ['websocket', 'polling'] fall back to polling when WebSocket is refused", async () => {
  const server = await startSocketIo4({ transports: ['polling'] });
  server.io.on('connection', (s) =>
    s.on('ping me', (ack: (v: string) => void) => ack(s.conn.transport.name)),
  );
  const socket = await connected(client(server.url, { transports: ['websocket', 'polling'] }));
  assert.equal(socket.io.engine?.transport?.name, 'polling');
  assert.equal(await socket.emitWithAck('ping me'), 'polling');
});

test("without tryAllTransports, a refused WebSocket is a connect_error 'transport error'", async () => {
  const server = await startSocketIo4({ transports: ['polling'] });
  const socket = client(server.url, {
    transports: ['websocket', 'polling'],
    tryAllTransports: false,
    reconnection: false,
  });
  const err = await waitFor<ConnectError>(socket, 'connect_error');
  assert.equal(err.reason, 'transport error');
  assert.equal(err.message, 'websocket error');
});
