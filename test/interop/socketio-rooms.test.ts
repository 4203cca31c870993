/**
 * Interop: rooms and broadcasting across several official clients — to/in/except, socket.to and
 * socket.broadcast (sender excluded), unions of rooms without duplicates, fetchSockets, socketsJoin /
 * socketsLeave, disconnectSockets, broadcast acknowledgements, leave, and room cleanup on disconnect.
 *
 * "Did not receive" is checked without sleeping: after the broadcast under test, a marker event is sent
 * to every client; packets on one connection arrive in order, so a client that got the marker without
 * the broadcast will never get it.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Server, Socket as ServerSocket } from 'socket.io';
import type { ClientSocket, TransportSetup } from '../support/fixtures.js';
import {
  cleanup,
  connectClient,
  countdown,
  deferred,
  forEachTransport,
  serverKind,
  startServer,
  waitFor,
  waitForArgs,
} from '../support/fixtures.js';

afterEach(cleanup);

interface Group {
  io: Server;
  clients: ClientSocket[];
  /** Server-side sockets, same order as `clients`. */
  sockets: ServerSocket[];
}

async function group(setup: TransportSetup, n = 4): Promise<Group> {
  const { io, url } = await startServer();
  const clients: ClientSocket[] = [];
  for (let i = 0; i < n; i++) clients.push(await connectClient(url, { setup }));
  const sockets = clients.map((c) => {
    const s = io.of('/').sockets.get(c.id ?? '');
    assert.ok(s, 'server-side socket for client');
    return s;
  });
  return { io, clients, sockets };
}

/**
 * Records `event` on every client; `settle()` sends a marker to all clients and waits for it, after which
 * `got()` is final: the indexes of the clients that received the event, with each payload list.
 */
function record(g: Group, event: string) {
  const received = g.clients.map(() => [] as unknown[][]);
  for (const [i, c] of g.clients.entries()) {
    c.on(event, (...args: unknown[]) => received[i]?.push(args));
  }
  let markers = 0;
  return {
    async settle(): Promise<void> {
      const name = `__marker_${event}_${markers++}`;
      const all = g.clients.map((c) => waitFor(c, name));
      g.io.emit(name);
      await Promise.all(all);
    },
    /** Indexes of the clients that received the event (with multiplicity). */
    who(): number[] {
      return received.flatMap((list, i) => list.map(() => i));
    },
    received,
  };
}

test('the in-memory adapter counts one server', async () => {
  const { io } = await startServer();
  assert.equal(await io.of('/').adapter.serverCount(), 1);
});

forEachTransport((setup) => {
  test('every socket starts in a room named after its own id; io.to(id) reaches only that client', async () => {
    const g = await group(setup, 3);
    for (const s of g.sockets) assert.deepEqual(s.rooms, new Set([s.id]));
    const rec = record(g, 'private');
    g.io.to(g.clients[1]?.id ?? '').emit('private', 'for 1');
    await rec.settle();
    assert.deepEqual(rec.who(), [1]);
    assert.deepEqual(rec.received[1], [['for 1']]);
  });

  test('io.to(room).emit and io.in(room).emit reach exactly the members of the room', async () => {
    const g = await group(setup);
    g.sockets[0]?.join('r');
    g.sockets[2]?.join('r');
    assert.ok(g.sockets[0]?.rooms.has('r'));
    const rec = record(g, 'news');
    g.io.to('r').emit('news', 1);
    g.io.in('r').emit('news', 2);
    await rec.settle();
    assert.deepEqual(rec.who(), [0, 0, 2, 2]);
    assert.deepEqual(rec.received[0], [[1], [2]]);
  });

  test('socket.to(room).emit reaches the other members of the room but not the sender', async () => {
    const g = await group(setup);
    for (const i of [0, 1, 2]) g.sockets[i]?.join('r');
    const rec = record(g, 'chat');
    g.sockets[0]?.to('r').emit('chat', 'hi from 0');
    await rec.settle();
    assert.deepEqual(rec.who(), [1, 2]);
  });

  test('socket.broadcast.emit reaches every other client of the namespace, not the sender', async () => {
    const g = await group(setup);
    const rec = record(g, 'bc');
    g.sockets[3]?.broadcast.emit('bc', { from: 3 });
    await rec.settle();
    assert.deepEqual(rec.who(), [0, 1, 2]);
    assert.deepEqual(rec.received[0], [[{ from: 3 }]]);
  });

  test('io.except(room) skips the members of the room; to(a).except(b) is the difference', async () => {
    const g = await group(setup);
    g.sockets[0]?.join(['a', 'b']);
    g.sockets[1]?.join('a');
    g.sockets[2]?.join('b');
    const rec = record(g, 'x');
    g.io.except('b').emit('x', 'not b');
    await rec.settle();
    assert.deepEqual(rec.who(), [1, 3]);
    const rec2 = record(g, 'y');
    g.io.to('a').except('b').emit('y', 'a minus b');
    await rec2.settle();
    assert.deepEqual(rec2.who(), [1]);
    const rec3 = record(g, 'z');
    g.sockets[1]?.broadcast.except('b').emit('z');
    await rec3.settle();
    assert.deepEqual(rec3.who(), [3]);
  });

  test('broadcasting to several rooms reaches their union, each client once', async () => {
    const g = await group(setup);
    g.sockets[0]?.join(['a', 'b']);
    g.sockets[1]?.join('a');
    g.sockets[2]?.join('b');
    const rec = record(g, 'u');
    g.io.to(['a', 'b']).emit('u', 'array');
    g.io.to('a').to('b').emit('u', 'chained');
    g.sockets[1]?.to(['a', 'b']).emit('u', 'from 1');
    await rec.settle();
    assert.deepEqual(rec.received[0], [['array'], ['chained'], ['from 1']]);
    assert.deepEqual(rec.received[1], [['array'], ['chained']]);
    assert.deepEqual(rec.received[2], [['array'], ['chained'], ['from 1']]);
    assert.deepEqual(rec.received[3], []);
  });

  test('broadcasts of one turn reach each client whole and in order, whichever subset it gets', async () => {
    const g = await group(setup);
    g.sockets[0]?.join(['a', 'b']);
    g.sockets[1]?.join('a');
    g.sockets[2]?.join('a');
    g.sockets[3]?.join('c');
    const rec = record(g, 'seq');
    // One synchronous burst: the clients' queues fill in the same turn and are flushed together.
    for (let round = 0; round < 3; round++) {
      g.io.emit('seq', `all-${round}`);
      g.io.to('a').emit('seq', `a-${round}`);
      g.io.to('b').emit('seq', `b-${round}`, 'x'.repeat(200 * round));
      g.io.to('c').emit('seq', `c-${round}`);
    }
    await rec.settle();
    const expected = (rooms: string[]) =>
      [0, 1, 2].flatMap((round) => [
        [`all-${round}`],
        ...(rooms.includes('a') ? [[`a-${round}`]] : []),
        ...(rooms.includes('b') ? [[`b-${round}`, 'x'.repeat(200 * round)]] : []),
        ...(rooms.includes('c') ? [[`c-${round}`]] : []),
      ]);
    assert.deepEqual(rec.received[0], expected(['a', 'b']));
    assert.deepEqual(rec.received[1], expected(['a']));
    assert.deepEqual(rec.received[2], expected(['a']));
    // Same number of packets as clients 1 and 2, other packets.
    assert.deepEqual(rec.received[3], expected(['c']));
  });

  test('socket.leave stops room broadcasts; socket.rooms reflects joins and leaves', async () => {
    const g = await group(setup, 2);
    const [s0, s1] = g.sockets as [ServerSocket, ServerSocket];
    s0.join(['r', 'q']);
    s1.join('r');
    assert.deepEqual(s0.rooms, new Set([s0.id, 'r', 'q']));
    s0.leave('r');
    assert.deepEqual(s0.rooms, new Set([s0.id, 'q']));
    const rec = record(g, 'm');
    g.io.to('r').emit('m');
    await rec.settle();
    assert.deepEqual(rec.who(), [1]);
  });

  test('socket.leaveAll() leaves every room, the socket\'s own too', async () => {
    const g = await group(setup, 1);
    const [s0] = g.sockets as [ServerSocket];
    s0.join(['r', 'q']);
    (s0 as unknown as { leaveAll(): void }).leaveAll();
    assert.equal(s0.rooms.size, 0);
    assert.equal(g.io.of('/').adapter.rooms.has('r'), false);
    assert.equal(g.io.of('/').adapter.rooms.has(s0.id), false);
  });

  test(
    'socket.leave takes a list of rooms too, as join does',
    { skip: serverKind === 'socket.io' ? 'socket.io 4.8 leaves one room per call (later versions take a list)' : false },
    async () => {
      const g = await group(setup, 1);
      const [s0] = g.sockets as [ServerSocket];
      s0.join(['r', 'q', 'p']);
      (s0.leave as (rooms: string | string[]) => void)(['r', 'q']);
      assert.deepEqual(s0.rooms, new Set([s0.id, 'p']));
      assert.equal(g.io.of('/').adapter.rooms.has('r'), false);
    },
  );

  test('io.in(room).fetchSockets returns the members with id, rooms, data and handshake', async () => {
    const g = await group(setup);
    g.sockets[1]?.join('r');
    g.sockets[3]?.join(['r', 'other']);
    if (g.sockets[1]) g.sockets[1].data = { user: 'one' };
    const found = await g.io.in('r').fetchSockets();
    assert.deepEqual(new Set(found.map((s) => s.id)), new Set([g.clients[1]?.id, g.clients[3]?.id]));
    const one = found.find((s) => s.id === g.clients[1]?.id);
    assert.ok(one);
    assert.deepEqual(one.data, { user: 'one' });
    assert.deepEqual(one.rooms, new Set([one.id, 'r']));
    assert.equal(one.handshake.address, '127.0.0.1');
    const three = found.find((s) => s.id === g.clients[3]?.id);
    assert.deepEqual(three?.rooms, new Set([three?.id, 'r', 'other']));
    assert.equal((await g.io.fetchSockets()).length, 4);
    assert.equal((await g.io.in('nobody').fetchSockets()).length, 0);
  });

  test('sockets returned by fetchSockets can emit, join, leave and disconnect', async () => {
    const g = await group(setup, 2);
    const [remote] = await g.io.in(g.clients[0]?.id ?? '').fetchSockets();
    assert.ok(remote);
    const got = waitForArgs(g.clients[0] as ClientSocket, 'direct');
    remote.emit('direct', 'via remote');
    assert.deepEqual(await got, ['via remote']);
    remote.join('joined');
    assert.ok(g.sockets[0]?.rooms.has('joined'));
    remote.leave('joined');
    assert.ok(!g.sockets[0]?.rooms.has('joined'));
    const reason = waitFor(g.clients[0] as ClientSocket, 'disconnect');
    remote.disconnect();
    assert.equal(await reason, 'io server disconnect');
  });

  test('io.socketsJoin / socketsLeave move matching sockets between rooms', async () => {
    const g = await group(setup);
    g.io.socketsJoin('everyone');
    for (const s of g.sockets) assert.ok(s.rooms.has('everyone'));
    g.sockets[0]?.join('vip');
    g.sockets[1]?.join('vip');
    g.io.in('vip').socketsJoin(['lounge', 'bar']);
    assert.deepEqual(
      g.sockets.map((s) => s.rooms.has('lounge') && s.rooms.has('bar')),
      [true, true, false, false],
    );
    g.io.in('vip').socketsLeave('everyone');
    const rec = record(g, 'e');
    g.io.to('everyone').emit('e');
    await rec.settle();
    assert.deepEqual(rec.who(), [2, 3]);
    g.io.socketsLeave('lounge');
    assert.equal((await g.io.in('lounge').fetchSockets()).length, 0);
  });

  test('io.in(room).disconnectSockets() disconnects only the members ("io server disconnect")', async () => {
    const g = await group(setup);
    g.sockets[0]?.join('kick');
    g.sockets[2]?.join('kick');
    const serverReasons = countdown<string>(2);
    for (const s of g.sockets) s.on('disconnect', (r: string) => serverReasons.hit(`${s.id}:${r}`));
    const clientReasons = [0, 2].map((i) => waitFor<string>(g.clients[i] as ClientSocket, 'disconnect'));
    g.io.in('kick').disconnectSockets();
    assert.deepEqual(await Promise.all(clientReasons), ['io server disconnect', 'io server disconnect']);
    const reasons = await serverReasons.wait('server-side disconnect');
    assert.deepEqual(
      new Set(reasons),
      new Set([
        `${g.sockets[0]?.id}:server namespace disconnect`,
        `${g.sockets[2]?.id}:server namespace disconnect`,
      ]),
    );
    assert.equal(g.clients[1]?.connected, true);
    assert.equal(g.clients[3]?.connected, true);
    assert.equal(g.io.of('/').sockets.size, 2);
  });

  test('io.timeout(ms).emitWithAck resolves with every client answer in an array', async () => {
    const g = await group(setup);
    for (const [i, c] of g.clients.entries()) {
      c.on('vote', (q: string, cb: (a: unknown) => void) => cb({ i, q }));
    }
    const answers = (await g.io.timeout(2000).emitWithAck('vote', 'q1')) as Array<{ i: number; q: string }>;
    assert.ok(Array.isArray(answers));
    assert.deepEqual(answers.map((a) => a.i).sort(), [0, 1, 2, 3]);
    assert.ok(answers.every((a) => a.q === 'q1'));
    const inRoom = g.sockets[1]?.join('r');
    await inRoom;
    const roomAnswers = await g.io.to('r').timeout(2000).emitWithAck('vote', 'q2');
    assert.deepEqual(roomAnswers, [{ i: 1, q: 'q2' }]);
    assert.deepEqual(await g.io.to('empty-room').timeout(2000).emitWithAck('vote', 'q3'), []);
  });

  test('a broadcast ack times out with "operation has timed out" when a client does not answer', async () => {
    const g = await group(setup, 3);
    for (const [i, c] of g.clients.entries()) {
      c.on('vote', (cb: (a: number) => void) => {
        if (i !== 2) cb(i);
      });
    }
    await assert.rejects(g.io.timeout(200).emitWithAck('vote'), { message: 'operation has timed out' });
    // The callback form also hands over the answers that did arrive.
    const result = deferred<[unknown, unknown]>();
    g.io.timeout(200).emit('vote', (err: unknown, responses: unknown) => result.resolve([err, responses]));
    const [err, responses] = await result.promise;
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'operation has timed out');
    assert.deepEqual((responses as number[]).slice().sort(), [0, 1]);
  });

  test("'disconnecting' still sees the socket's rooms; 'disconnect' sees them left and rooms are cleaned", async () => {
    const g = await group(setup, 2);
    const [s0] = g.sockets as [ServerSocket];
    s0.join(['r1', 'r2']);
    g.sockets[1]?.join('r1');
    const roomsAtDisconnecting = deferred<Set<string>>();
    const roomsAtDisconnect = deferred<Set<string>>();
    s0.on('disconnecting', () => roomsAtDisconnecting.resolve(new Set(s0.rooms)));
    s0.on('disconnect', () => roomsAtDisconnect.resolve(new Set(s0.rooms)));
    g.clients[0]?.disconnect();
    assert.deepEqual(await roomsAtDisconnecting.promise, new Set([s0.id, 'r1', 'r2']));
    assert.deepEqual(await roomsAtDisconnect.promise, new Set());
    const rooms = g.io.of('/').adapter.rooms;
    assert.equal(rooms.has('r2'), false, 'a room whose last member left is deleted');
    assert.equal(rooms.has(s0.id), false);
    assert.deepEqual(rooms.get('r1'), new Set([g.sockets[1]?.id]));
    assert.deepEqual(
      (await g.io.in('r1').fetchSockets()).map((s) => s.id),
      [g.sockets[1]?.id],
    );
    assert.equal((await g.io.in('r2').fetchSockets()).length, 0);
  });
});
