/**
 * Interop: connection state recovery (`connectionStateRecovery`) as socket.io 4.8 has it, driven by
 * the official client's own recovery code: the CONNECT reply's `pid`, the offset ending each event
 * that can be missed, and a reconnection with `{pid, offset}` after the connection dropped, which
 * gives back the socket id, rooms and data and the events sent meanwhile. Run against parley and,
 * with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  type ClientSocket,
  cleanup,
  connectClient,
  connectNamespace,
  silenceHeartbeat,
  startServer,
  TRANSPORT_SETUPS,
  type TransportSetup,
  waitFor,
  waitForArgs,
  whenConnected,
} from '../support/fixtures.js';
import { packets, RawPolling } from '../support/raw-clients.js';
import type { ServerOptions } from '../support/server-under-test.js';

afterEach(cleanup);

/** Plain polling and plain websocket: how the connection drops differs between them. */
const SETUPS = TRANSPORT_SETUPS.filter((setup) => !setup.upgrades);

/** Events a client received, each as `[name, ...args]`. */
function recordEvents(client: ClientSocket): unknown[][] {
  const events: unknown[][] = [];
  client.onAny((event: string, ...args: unknown[]) => events.push([event, ...args]));
  return events;
}

/** The client's offset as its recovery code keeps it (socket.io-client's private `_lastOffset`). */
function lastOffset(client: ClientSocket): unknown {
  return (client as unknown as { _lastOffset?: unknown })._lastOffset;
}

interface Started {
  io: Awaited<ReturnType<typeof startServer>>['io'];
  client: ClientSocket;
  socket: ServerSocket;
}

/** A server with recovery on, one client over `setup`, and an event received (so it has an offset). */
async function recoverablePair(setup: TransportSetup, recovery: ServerOptions['connectionStateRecovery'] = {}): Promise<Started> {
  const { io, url } = await startServer({ connectionStateRecovery: recovery });
  const connection = waitFor<ServerSocket>(io, 'connection');
  const client = await connectClient(url, { setup });
  const socket = await connection;
  const welcomed = waitFor(client, 'welcome');
  socket.emit('welcome');
  await welcomed;
  assert.equal(typeof lastOffset(client), 'string', 'the client kept the offset of the event it received');
  return { io, client, socket };
}

/** Drops the connection from the client's side (its transport closes); resolves with the server's reason. */
async function dropFromClient(client: ClientSocket, socket: ServerSocket): Promise<string> {
  const gone = waitFor<string>(socket, 'disconnect');
  client.io.engine.close();
  return gone;
}

/** Reconnects the client (its recovery code sends `{pid, offset}`); resolves with the new server-side socket. */
async function reconnect(io: Started['io'], client: ClientSocket): Promise<ServerSocket> {
  const connection = waitFor<ServerSocket>(io, 'connection');
  client.connect();
  await whenConnected(client);
  return connection;
}

/**
 * Reconnects `client` and checks it came back as socket `id`, recovered, with the `missed` event
 * (1) sent while it was away, then an `after` event (2) sent once it was back, in that order.
 */
async function assertRecoveredWithMissed(
  io: Started['io'],
  client: ClientSocket,
  id: string,
  received: unknown[][],
): Promise<void> {
  const back = await reconnect(io, client);
  assert.equal(back.recovered, true);
  assert.equal(back.id, id);
  const after = waitFor(client, 'after');
  back.emit('after', 2);
  await after;
  assert.deepEqual(
    received.map(([name, value]) => [name, value]),
    [
      ['missed', 1],
      ['after', 2],
    ],
  );
}

describe('connection state recovery: the wire', () => {
  test('the CONNECT reply carries the sid and a pid', async () => {
    const { url } = await startServer({ connectionStateRecovery: {} });
    const session = await RawPolling.handshake(`${url}/socket.io/`);
    const reply = session.get();
    await session.post('40');
    const [connect] = packets((await reply).body);
    assert.match(connect!, /^40\{/);
    const data = JSON.parse(connect!.slice(2)) as { sid: unknown; pid: unknown };
    assert.equal(typeof data.sid, 'string');
    assert.equal(typeof data.pid, 'string');
    assert.notEqual(data.pid, data.sid);
    await session.post('41');
  });

  test('a recovered session gets the events it missed before its CONNECT reply, as socket.io writes them', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: {} });
    io.once('connection', (socket) => {
      socket.join('room1');
    });
    const first = await RawPolling.handshake(`${url}/socket.io/`);
    const welcome = first.get();
    await first.post('40');
    const { sid, pid } = JSON.parse(packets((await welcome).body)[0]!.slice(2)) as { sid: string; pid: string };
    const hello = first.get();
    io.emit('hello');
    const [, offset] = JSON.parse(packets((await hello).body)[0]!.slice(2)) as [string, string];
    const gone = waitFor(io.of('/').sockets.get(sid)!, 'disconnect');
    await first.post('1');
    await gone;

    io.emit('missed1');
    io.to('room1').emit('missed2');

    const second = await RawPolling.handshake(`${url}/socket.io/`);
    await second.post(`40${JSON.stringify({ pid, offset })}`);
    // However the packets are split over answers, the order is the point: polled until the CONNECT.
    const got: string[] = [];
    while (!got.some((packet) => packet.startsWith('40'))) {
      const answer = await second.get();
      assert.equal(answer.status, 200, `the session ended before its CONNECT reply: ${answer.body}`);
      got.push(...packets(answer.body));
    }
    assert.equal(got.length, 3, got.join(' | '));
    assert.match(got[0]!, /^42\["missed1",/);
    assert.match(got[1]!, /^42\["missed2",/);
    assert.equal(got[2], `40${JSON.stringify({ sid, pid })}`);
    await second.post('41');
  });

  test('events without ack carry an offset as last argument, direct and broadcast; volatile ones and ones with an ack do not', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: {} });
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: SETUPS[1] });
    const socket = await connection;
    client.on('with-ack', (value: unknown, ack: (answer: unknown) => void) => ack(value));

    const direct = waitForArgs(client, 'direct');
    socket.emit('direct', 1);
    const [directValue, directOffset] = await direct;
    assert.equal(directValue, 1);
    assert.equal(typeof directOffset, 'string');

    const broadcast = waitForArgs(client, 'broadcast');
    io.emit('broadcast', 2);
    const [broadcastValue, broadcastOffset] = await broadcast;
    assert.equal(broadcastValue, 2);
    assert.equal(typeof broadcastOffset, 'string');
    assert.notEqual(broadcastOffset, directOffset);

    const volatile = waitForArgs(client, 'volatile');
    socket.volatile.emit('volatile', 3);
    assert.deepEqual(await volatile, [3]);

    assert.equal(await socket.emitWithAck('with-ack', 4), 4);
    const [answers] = await io.timeout(2000).emitWithAck('with-ack', 5).then((a) => [a]);
    assert.deepEqual(answers, [5]);
  });

  test('a binary event carries its offset after the binary arguments', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: {} });
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: SETUPS[1] });
    const socket = await connection;
    const binary = waitForArgs(client, 'binary');
    socket.emit('binary', Buffer.from([1, 2, 3]), 'text');
    const [bytes, text, offset] = await binary;
    assert.deepEqual(Buffer.from(bytes as ArrayBuffer), Buffer.from([1, 2, 3]));
    assert.equal(text, 'text');
    assert.equal(typeof offset, 'string');
  });

  test('without the option, events carry no offset', async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup: SETUPS[1] });
    const socket = await connection;
    const direct = waitForArgs(client, 'direct');
    socket.emit('direct', 1);
    assert.deepEqual(await direct, [1]);
    const broadcast = waitForArgs(client, 'broadcast');
    io.emit('broadcast', 2);
    assert.deepEqual(await broadcast, [2]);
  });
});

for (const setup of SETUPS) {
  describe(`connection state recovery [${setup.name}]`, () => {
    test('after the transport closed, the socket comes back with its id, rooms and data, and the events it missed', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      socket.join(['room-a', 'room-c']);
      socket.data = { name: 'alice' };
      const oldId = socket.id;
      assert.equal(await dropFromClient(client, socket), 'transport close');

      const received = recordEvents(client);
      socket.emit('direct', 1);
      io.to('room-a').emit('to-room', 2);
      io.emit('to-all', 3);
      io.to('room-b').emit('to-other-room', 4);
      io.except('room-c').emit('excepting-a-room', 5);
      io.volatile.emit('volatile', 6);

      const back = await reconnect(io, client);
      assert.equal(back.recovered, true);
      assert.equal(client.recovered, true);
      assert.equal(back.id, oldId);
      assert.equal(client.id, oldId);
      assert.deepEqual(back.rooms, new Set([oldId, 'room-a', 'room-c']));
      assert.deepEqual(back.data, { name: 'alice' });

      const after = waitFor(client, 'after');
      back.emit('after');
      await after;
      assert.deepEqual(
        received.map(([name, value]) => [name, value]),
        [
          ['direct', 1],
          ['to-room', 2],
          ['to-all', 3],
          ['after', received.at(-1)![1]],
        ],
      );
      // Each missed event still ends with its offset; the client moved on to the last one.
      for (const event of received) assert.equal(typeof event.at(-1), 'string');
      assert.equal(lastOffset(client), received.at(-1)!.at(-1));
    });

    test('after the server closed the connection under the socket (forced close), the socket comes back', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      const gone = waitFor<string>(socket, 'disconnect');
      const clientGone = waitFor<string>(client, 'disconnect');
      socket.conn.close();
      assert.equal(await gone, 'forced close');
      await clientGone;
      io.emit('missed', 1);
      const received = recordEvents(client);
      await assertRecoveredWithMissed(io, client, socket.id, received);
    });

    test('after a ping timeout, the socket comes back', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      silenceHeartbeat(client);
      const gone = waitFor<string>(socket, 'disconnect');
      assert.equal(await gone, 'ping timeout');
      io.emit('missed', 1);
      // The client learns of it when the server's end of the transport closes; it may take a while
      // over polling, so the test closes the client's end itself.
      client.io.engine.close();
      const received = recordEvents(client);
      await assertRecoveredWithMissed(io, client, socket.id, received);
    });

    test('every namespace of the connection comes back, each with its own session and missed events', async () => {
      const { io, url } = await startServer({ connectionStateRecovery: {} });
      const mainConnection = waitFor<ServerSocket>(io, 'connection');
      const adminConnection = waitFor<ServerSocket>(io.of('/admin'), 'connection');
      const main = await connectClient(url, { setup });
      const admin = await connectNamespace(main.io, '/admin');
      const [mainSocket, adminSocket] = [await mainConnection, await adminConnection];
      const welcomed = Promise.all([waitFor(main, 'welcome'), waitFor(admin, 'welcome')]);
      mainSocket.emit('welcome');
      adminSocket.emit('welcome');
      await welcomed;
      const gone = Promise.all([waitFor(mainSocket, 'disconnect'), waitFor(adminSocket, 'disconnect')]);
      main.io.engine.close();
      await gone;
      io.emit('to-main', 1);
      io.of('/admin').emit('to-admin', 2);
      const mainReceived = recordEvents(main);
      const adminReceived = recordEvents(admin);
      const mainBack = waitFor<ServerSocket>(io, 'connection');
      const adminBack = waitFor<ServerSocket>(io.of('/admin'), 'connection');
      main.connect();
      admin.connect();
      await Promise.all([whenConnected(main), whenConnected(admin)]);
      const [mainAgain, adminAgain] = [await mainBack, await adminBack];
      assert.deepEqual([mainAgain.recovered, mainAgain.id], [true, mainSocket.id]);
      assert.deepEqual([adminAgain.recovered, adminAgain.id], [true, adminSocket.id]);
      const after = Promise.all([waitFor(main, 'after'), waitFor(admin, 'after')]);
      mainAgain.emit('after');
      adminAgain.emit('after');
      await after;
      assert.deepEqual(mainReceived.map(([name]) => name), ['to-main', 'after']);
      assert.deepEqual(adminReceived.map(([name]) => name), ['to-admin', 'after']);
    });

    test('a recovered socket skips the middlewares by default', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      const seen: boolean[] = [];
      io.use((s, next) => {
        seen.push(s.recovered);
        next();
      });
      await dropFromClient(client, socket);
      const back = await reconnect(io, client);
      assert.equal(back.recovered, true);
      assert.deepEqual(seen, []);
    });

    test('with skipMiddlewares: false the middlewares run for a recovered socket, which they see as recovered', async () => {
      const { io, client, socket } = await recoverablePair(setup, { skipMiddlewares: false });
      const seen: boolean[] = [];
      io.use((s, next) => {
        seen.push(s.recovered);
        next();
      });
      await dropFromClient(client, socket);
      const back = await reconnect(io, client);
      assert.equal(back.recovered, true);
      assert.equal(back.id, socket.id);
      assert.deepEqual(seen, [true]);
    });

    test('after maxDisconnectionDuration the session is gone: a new socket, not recovered', async () => {
      const { io, client, socket } = await recoverablePair(setup, { maxDisconnectionDuration: 50 });
      socket.join('room-a');
      await dropFromClient(client, socket);
      // The one wait on time itself: the session must outlive its duration.
      await new Promise((resolve) => setTimeout(resolve, 120));
      const back = await reconnect(io, client);
      assert.equal(back.recovered, false);
      assert.equal(client.recovered, false);
      assert.notEqual(back.id, socket.id);
      assert.deepEqual(back.rooms, new Set([back.id]));
    });

    test('a server-side disconnect() is not recoverable', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      socket.join('room-a');
      const clientGone = waitFor<string>(client, 'disconnect');
      const gone = waitFor<string>(socket, 'disconnect');
      socket.disconnect();
      assert.equal(await gone, 'server namespace disconnect');
      assert.equal(await clientGone, 'io server disconnect');
      const back = await reconnect(io, client);
      assert.equal(back.recovered, false);
      assert.equal(client.recovered, false);
      assert.notEqual(back.id, socket.id);
    });

    test('a client disconnect() is not recoverable', async () => {
      const { io, client, socket } = await recoverablePair(setup);
      const gone = waitFor<string>(socket, 'disconnect');
      client.disconnect();
      assert.equal(await gone, 'client namespace disconnect');
      const back = await reconnect(io, client);
      assert.equal(back.recovered, false);
      assert.notEqual(back.id, socket.id);
    });
  });
}
