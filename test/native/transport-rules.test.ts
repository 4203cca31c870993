/**
 * The plain-WebSocket transport keeps the engine's rules: each session's heartbeat timed from its own
 * start (the engine's Heartbeat, not a round shared by every client), the send buffer counting each
 * message's size (a message that alone exceeds the bound is never queued), and broadcasts coalesced
 * into one write per socket per event-loop turn.
 */
import assert from 'node:assert/strict';
import type { Socket as NetSocket } from 'node:net';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { withTimeout } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, disconnectReason, serverSocket } from './support.js';

afterEach(cleanup);

/** Resolves with the time of the next ping frame the client gets. */
function nextPing(peer: { ws: { once(event: 'ping', fn: () => void): unknown } }): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve) => peer.ws.once('ping', () => resolve(performance.now()))),
    'a ping',
  );
}

test("each plain client's first ping comes pingInterval after its own connection, not on a shared round", async () => {
  const server = await startServer({ pingInterval: 300, pingTimeout: 300 }, PARLEY);
  const first = await connectPlain(server);
  const firstPing = nextPing(first.peer);
  // The second client connects well inside the first one's interval. This sleep is the set-up under
  // test, not a wait for state: only an offset between the two starts tells a per-session schedule
  // from a shared round, and no event falls in the middle of an interval.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const openedAt = performance.now();
  const second = await connectPlain(server);
  const secondPing = await nextPing(second.peer);
  await firstPing;
  // Its session started before its client saw the connection: the ping cannot be sooner than this.
  assert.ok(
    secondPing - openedAt >= 300 - 2,
    `second client pinged ${Math.round(secondPing - openedAt)} ms after connecting`,
  );
});

test('a message larger than the send buffer is refused at once: the client is cut with "send buffer full"', async () => {
  const server = await startServer({ plainWebSocket: { maxBufferedBytes: 4096 } }, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  const reason = disconnectReason(socket);
  socket.emit('big', 'x'.repeat(10_000));
  assert.equal(await reason, 'send buffer full');
  assert.equal((await peer.closed).code, 1006);
});

test('a volatile message larger than the send buffer is dropped and the connection stays', async () => {
  const server = await startServer({ plainWebSocket: { maxBufferedBytes: 4096 } }, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  socket.volatile.emit('big', 'x'.repeat(10_000));
  socket.emit('small', 'after');
  assert.deepEqual(await peer.nextJson('the small event'), { event: 'small', data: 'after' });
  assert.equal(socket.connected, true);
});

test('the broadcasts of one turn reach a plain client in one write, in order', async () => {
  const server = await startServer({}, PARLEY);
  // The server side of the client's TCP connection: its writes are counted.
  const accepted = new Promise<NetSocket>((resolve) => server.io.httpServer!.once('connection', resolve));
  const { peer } = await connectPlain(server);
  const tcp = await accepted;
  let writes = 0;
  const write = tcp.write.bind(tcp) as (...args: unknown[]) => boolean;
  (tcp as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    writes++;
    return write(...args);
  };
  for (let i = 0; i < 20; i++) server.io.emit('tick', i);
  for (let i = 0; i < 20; i++) assert.deepEqual(await peer.nextJson(`tick ${i}`), { event: 'tick', data: i });
  assert.equal(writes, 1, `the 20 broadcasts took ${writes} writes`);
});
