/**
 * Disconnect reasons and reconnection: a dropped connection comes back with backoff (Manager
 * events reconnect_attempt / reconnect), the server's and the client's disconnects do not
 * reconnect, missing pings close with 'ping timeout', and attempts are bounded.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { Backoff, type ConnectError } from '../../src/client/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { countdown, deferred, waitFor, waitForArgs } from '../support/waiting.js';
import {
  client,
  closeOfficialServers,
  connected,
  forEachSetup,
  startSocketIo2,
  startSocketIo4,
  type V2Socket,
} from './support.js';

afterEach(async () => {
  await closeOfficialServers();
  await cleanup();
});

test('backoff doubles from reconnectionDelay up to reconnectionDelayMax, with jitter around it', () => {
  const plain = new Backoff(100, 1000, 0);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => plain.duration()),
    [100, 200, 400, 800, 1000],
  );
  plain.reset();
  assert.equal(plain.duration(), 100);
  // random 0.5: deviation is half the jitter; the digit 5 is odd, so it adds.
  const jittered = new Backoff(100, 10_000, 0.5, () => 0.5);
  assert.deepEqual(
    [1, 2, 3].map(() => jittered.duration()),
    [125, 250, 500],
  );
  const lower = new Backoff(100, 10_000, 0.5, () => 0.4);
  assert.equal(lower.duration(), 80);
});

forEachSetup((setup) => {
  test('parley: a dropped connection reconnects, with Manager events, and the socket connects again', async () => {
    const server = await startServer({}, PARLEY);
    const connections: ServerSocket[] = [];
    const arrived = countdown<ServerSocket>(2);
    server.io.on('connection', (s) => {
      connections.push(s as never);
      arrived.hit(s as never);
    });
    const socket = await connected(client(server.url, setup.opts), setup);
    const firstId = socket.id;
    const attempts: number[] = [];
    socket.io.on('reconnect_attempt', (n: number) => attempts.push(n));
    const reconnected = waitFor<number>(socket.io, 'reconnect');
    const disconnected = waitFor(socket, 'disconnect');
    const reconnectedSocket = new Promise<void>((resolve) => socket.once('connect', resolve));
    connections[0]!.conn.close();
    assert.equal(await disconnected, 'transport close');
    assert.equal(socket.connected, false);
    assert.equal(await reconnected, 1);
    await reconnectedSocket;
    await arrived.wait('connections');
    assert.deepEqual(attempts, [1]);
    assert.equal(socket.connected, true);
    assert.notEqual(socket.id, firstId);
  });

  test('parley: the client answers pings, so a session with a 50 ms pingInterval lives on', async () => {
    // Each ping after the first is sent only once the previous one was answered, so six pings prove
    // the client answers; the pingTimeout is not what is tested, and a 50 ms one was missed by a
    // pong POST on a loaded machine.
    const server = await startServer({ pingInterval: 50, pingTimeout: 500 }, PARLEY);
    const socket = await connected(client(server.url, { ...setup.opts, reconnection: false }), setup);
    const sid = socket.io.engine?.id;
    const pings = countdown(6);
    socket.io.on('ping', () => pings.hit(undefined));
    await pings.wait('pings');
    assert.equal(socket.connected, true);
    assert.equal(socket.io.engine?.id, sid);
  });

  test('socket.io 4: the server disconnecting the socket is io server disconnect, and no reconnection follows', async () => {
    const server = await startSocketIo4();
    server.io.on('connection', (s) => s.on('kick me', () => s.disconnect()));
    const socket = await connected(client(server.url, setup.opts), setup);
    let attempts = 0;
    socket.io.on('reconnect_attempt', () => attempts++);
    const disconnected = waitFor(socket, 'disconnect');
    socket.emit('kick me');
    assert.equal(await disconnected, 'io server disconnect');
    assert.equal(socket.active, false);
    // The Manager closed with its last socket; a reconnection would have to come from connect().
    const again = waitFor(socket, 'connect');
    socket.connect();
    await again;
    assert.equal(attempts, 0);
  });

  test('socket.io 4: a server that stops pinging closes the connection with ping timeout', async () => {
    const server = await startSocketIo4({ pingInterval: 100, pingTimeout: 50 });
    server.io.on('connection', (s) => {
      // Engine.IO's heartbeat writes through sendPacket: with it silenced no ping reaches the
      // client; and the server's own wait for a pong is switched off so that it does not close first.
      const conn = s.conn as unknown as {
        sendPacket: (type: string, ...rest: unknown[]) => void;
        resetPingTimeout: () => void;
      };
      conn.resetPingTimeout = () => undefined;
      const send = conn.sendPacket.bind(conn);
      conn.sendPacket = (type, ...rest) => {
        if (type !== 'ping') send(type, ...rest);
      };
    });
    // Not awaiting the upgrade: the silence may end the session before it completes.
    const socket = await connected(client(server.url, { ...setup.opts, reconnection: false }));
    const [reason] = await waitForArgs(socket, 'disconnect');
    assert.equal(reason, 'ping timeout');
  });

  test('socket.io 2: a dropped connection reconnects and the server connects / again', async () => {
    const server = await startSocketIo2();
    const sockets: V2Socket[] = [];
    server.io.on('connection', (s: V2Socket) => sockets.push(s));
    const websocketOnly = setup.opts.transports?.[0] === 'websocket';
    const socket = await connected(
      client(server.url, { ...setup.opts, ...(websocketOnly ? { protocol: 3 } : {}) }),
      setup,
    );
    const conn = sockets[0]!.conn;
    // Closed mid-upgrade, engine.io 3's polling transport would wait 30 s for a last poll.
    if (setup.upgrades && conn.transport.name !== 'websocket') await waitFor(conn, 'upgrade');
    const disconnected = waitFor(socket, 'disconnect');
    const back = waitFor(socket.io, 'reconnect');
    conn.close();
    assert.equal(await disconnected, 'transport close');
    await back;
    await connected(socket);
    assert.equal(socket.id, socket.io.engine?.id);
  });
});

test('reconnection gives up after reconnectionAttempts with reconnect_failed', async () => {
  // A port nothing listens on any more: every attempt is refused at once.
  const http = createServer();
  const port = await listenOnLoopback(http);
  await closeHttp(http);
  const socket = client(`http://127.0.0.1:${port}`, { reconnectionAttempts: 2, reconnectionDelay: 5 });
  const errors: string[] = [];
  socket.on('connect_error', (err: ConnectError) => errors.push(err.reason));
  const attempts: number[] = [];
  socket.io.on('reconnect_attempt', (n: number) => attempts.push(n));
  const failed = deferred();
  socket.io.on('reconnect_failed', () => failed.resolve());
  let reconnectErrors = 0;
  socket.io.on('reconnect_error', () => reconnectErrors++);
  await failed.promise;
  assert.deepEqual(attempts, [1, 2]);
  assert.equal(reconnectErrors, 2);
  assert.deepEqual(errors, ['transport error', 'transport error', 'transport error']);
  assert.equal(socket.connected, false);
});
