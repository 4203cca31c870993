/**
 * Connection state recovery for plain WebSocket clients (docs/native-websocket.md, "Reconnecting
 * without losing events"): the welcome frame carries a `pid`, each event that can be missed an
 * `offset`, and a client reconnecting with `?pid=...&offset=...` gets its socket back with the events
 * it missed. parley only.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ConnectionStateRecoveryOptions, Socket } from '../../src/index.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { waitFor, withTimeout } from '../support/waiting.js';
import { connectSio, disconnectReason, serverSocket, type TestServer } from './support.js';

afterEach(cleanup);

interface Welcome {
  event: 'connect';
  data: { id: string; pid?: string };
}

interface EventFrame {
  event: string;
  data?: unknown;
  args?: unknown[];
  offset?: string;
  attachments?: number;
}

/** Opens a plain client with this query and reads its welcome frame. */
async function openPlain(server: TestServer, query: Record<string, string> = {}): Promise<{ peer: WsClient; welcome: Welcome }> {
  const peer = new WsClient(server.wsUrl(query));
  await withTimeout(peer.opened, 'the plain WebSocket to open');
  const welcome = (await peer.nextJson('the connect frame')) as Welcome;
  assert.equal(welcome.event, 'connect');
  return { peer, welcome };
}

async function recoveryServer(recovery: Partial<ConnectionStateRecoveryOptions> = {}): Promise<TestServer> {
  return startServer({ connectionStateRecovery: recovery }, PARLEY);
}

test('the welcome frame carries a pid, and events that can be missed an offset; volatile ones and ones with an ack none', async () => {
  const server = await recoveryServer();
  const { peer, welcome } = await openPlain(server);
  assert.equal(typeof welcome.data.pid, 'string');
  const socket = serverSocket(server.io, welcome.data.id);

  socket.emit('news', { a: 1 });
  const news = (await peer.nextJson('news')) as EventFrame;
  assert.deepEqual(news.data, { a: 1 });
  assert.equal(typeof news.offset, 'string');

  server.io.emit('two', 1, 2);
  const two = (await peer.nextJson('two')) as EventFrame;
  assert.deepEqual(two.args, [1, 2]);
  assert.equal(typeof two.offset, 'string');
  assert.notEqual(two.offset, news.offset);

  socket.emit('none');
  const none = (await peer.nextJson('none')) as EventFrame;
  assert.deepEqual(Object.keys(none).sort(), ['event', 'offset']);

  socket.emit('bin', Buffer.from([1, 2, 3]));
  const bin = (await peer.nextJson('bin')) as EventFrame;
  assert.deepEqual(bin.data, { _placeholder: true, num: 0 });
  assert.equal(bin.attachments, 1);
  assert.equal(typeof bin.offset, 'string');
  assert.deepEqual(await peer.nextBinary('the attachment'), Buffer.from([1, 2, 3]));

  socket.volatile.emit('volatile', 1);
  assert.deepEqual(await peer.nextJson('volatile'), { event: 'volatile', data: 1 });
  socket.emit('asks', 1, () => {});
  const asks = (await peer.nextJson('asks')) as EventFrame & { id: number };
  assert.equal(asks.offset, undefined);
  assert.equal(typeof asks.id, 'number');
});

test('without the option, the welcome frame has no pid and events no offset', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, welcome } = await openPlain(server);
  assert.deepEqual(Object.keys(welcome.data), ['id']);
  serverSocket(server.io, welcome.data.id).emit('news', 1);
  assert.deepEqual(await peer.nextJson('news'), { event: 'news', data: 1 });
});

test('a plain client reconnecting with ?pid=&offset= gets its id, rooms and data back, and the events it missed', async () => {
  const server = await recoveryServer();
  const { peer, welcome } = await openPlain(server);
  const socket = serverSocket(server.io, welcome.data.id);
  socket.join('room-a');
  socket.data = { name: 'bob' };
  socket.emit('hello');
  const hello = (await peer.nextJson('hello')) as EventFrame;

  const reason = disconnectReason(socket);
  peer.terminate();
  assert.equal(await reason, 'transport close');
  socket.emit('direct', 1);
  server.io.to('room-a').emit('to-room', 2);
  server.io.to('room-b').emit('to-other-room', 3);

  const connection = waitFor<Socket>(server.io, 'connection');
  const again = await openPlain(server, { pid: welcome.data.pid!, offset: hello.offset! });
  const back = await connection;
  assert.equal(again.welcome.data.id, welcome.data.id);
  assert.equal(again.welcome.data.pid, welcome.data.pid);
  assert.equal(back.recovered, true);
  assert.deepEqual(back.rooms, new Set([welcome.data.id, 'room-a']));
  assert.deepEqual(back.data, { name: 'bob' });
  const direct = (await again.peer.nextJson('the missed direct event')) as EventFrame;
  const toRoom = (await again.peer.nextJson('the missed room event')) as EventFrame;
  assert.deepEqual([direct.event, direct.data, toRoom.event, toRoom.data], ['direct', 1, 'to-room', 2]);
  assert.equal(typeof toRoom.offset, 'string');
  back.emit('after');
  assert.equal(((await again.peer.nextJson('after')) as EventFrame).event, 'after');
});

test('a plain client with an unknown pid or an offset no longer kept starts over', async () => {
  const server = await recoveryServer({ maxPackets: 2 });
  const { peer, welcome } = await openPlain(server);
  const socket = serverSocket(server.io, welcome.data.id);
  socket.emit('hello');
  const hello = (await peer.nextJson('hello')) as EventFrame;
  const reason = disconnectReason(socket);
  peer.terminate();
  await reason;

  const unknown = await openPlain(server, { pid: 'not-a-session', offset: hello.offset! });
  assert.notEqual(unknown.welcome.data.id, welcome.data.id);
  assert.equal(serverSocket(server.io, unknown.welcome.data.id).recovered, false);

  // Three events since its offset: with maxPackets 2 the first is gone, so the session is not
  // restored with a hole in it.
  for (const n of [1, 2, 3]) socket.emit('missed', n);
  const dropped = await openPlain(server, { pid: welcome.data.pid!, offset: hello.offset! });
  assert.notEqual(dropped.welcome.data.id, welcome.data.id);
  assert.equal(serverSocket(server.io, dropped.welcome.data.id).recovered, false);
});

test('a broadcast reaches a plain client and a socket.io client with the same offset', async () => {
  const server = await recoveryServer();
  const { peer } = await openPlain(server);
  const sio = await connectSio(server);
  const heard = new Promise<unknown[]>((resolve) => sio.once('news', (...args: unknown[]) => resolve(args)));
  server.io.emit('news', 'x');
  const frame = (await peer.nextJson('news')) as EventFrame;
  const [value, offset] = await withTimeout(heard, 'the socket.io client to get news');
  assert.equal(value, 'x');
  assert.equal(frame.offset, offset);
});
