/**
 * Plain WebSocket clients and official socket.io clients in the same rooms: messages flow both ways,
 * and the seed's client snippet works as written.
 *
 * "Did not receive" is checked with a marker: frames on one connection arrive in order, so a client
 * that got the marker without the message will never get it.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import WebSocket from 'ws';
import type { Socket } from '../../src/index.js';
import { waitForArgs, withTimeout } from '../support/waiting.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, type TestServer } from './support.js';

afterEach(cleanup);

/** A server whose sockets join room "chat" and relay every `message` to it. */
async function relayServer(): Promise<TestServer & { received: unknown[][] }> {
  const server = await startServer({}, PARLEY);
  const received: unknown[][] = [];
  server.io.on('connection', (socket: Socket) => {
    socket.join('chat');
    socket.on('message', (...args: unknown[]) => {
      received.push(args);
      server.io.to('chat').emit('message', ...args);
    });
  });
  return { ...server, received };
}

test('a plain client message relayed with io.to(room).emit reaches plain and socket.io clients', async () => {
  const server = await relayServer();
  const { peer: alice } = await connectPlain(server);
  const { peer: bob } = await connectPlain(server);
  const carol = await connectSio(server);

  const carolGot = waitForArgs(carol, 'message');
  alice.sendJson({ event: 'message', data: { text: 'hi all' } });

  assert.deepEqual(await alice.nextJson(), { event: 'message', data: { text: 'hi all' } });
  assert.deepEqual(await bob.nextJson(), { event: 'message', data: { text: 'hi all' } });
  assert.deepEqual(await carolGot, [{ text: 'hi all' }]);
  assert.deepEqual(server.received, [[{ text: 'hi all' }]]);
});

test('a socket.io client emit reaches plain clients as {"event":"message","data":...}', async () => {
  const server = await relayServer();
  const { peer } = await connectPlain(server);
  const sio = await connectSio(server);

  sio.emit('message', 'from socket.io');
  assert.deepEqual(await peer.nextJson(), { event: 'message', data: 'from socket.io' });
  assert.deepEqual(await waitForArgs(sio, 'message'), ['from socket.io']);
});

test('several arguments reach a plain client as an "args" array, and travel back the same way', async () => {
  const server = await relayServer();
  const { peer } = await connectPlain(server);
  const sio = await connectSio(server);

  const sioFirst = waitForArgs(sio, 'message');
  sio.emit('message', 1, 'two', { three: 3 }, null);
  assert.deepEqual(await peer.nextJson(), { event: 'message', args: [1, 'two', { three: 3 }, null] });
  assert.deepEqual(await sioFirst, [1, 'two', { three: 3 }, null]);

  const sioSecond = waitForArgs(sio, 'message');
  peer.sendJson({ event: 'message', args: ['a', 2, false] });
  assert.deepEqual(await peer.nextJson(), { event: 'message', args: ['a', 2, false] });
  assert.deepEqual(await sioSecond, ['a', 2, false]);
  assert.deepEqual(server.received, [
    [1, 'two', { three: 3 }, null],
    ['a', 2, false],
  ]);
});

test("the seed's client snippet works unchanged", async () => {
  const server = await relayServer();
  const sio = await connectSio(server);
  const connected = new Promise<Socket>((resolve) => server.io.once('connection', resolve));

  // The seed's client, verbatim apart from the URL.
  const ws = new WebSocket(server.wsUrl());
  const peer = new WsClient(ws);
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
  };

  const socket = await withTimeout(connected, 'the plain connection');
  const [appGot] = await waitForArgs(socket, 'message');
  assert.deepEqual(appGot, { type: 'text', content: 'Hello' });
  assert.deepEqual(await waitForArgs(sio, 'message'), [{ type: 'text', content: 'Hello' }]);
  assert.deepEqual(await peer.nextJson(), { event: 'connect', data: { id: socket.id } });
  assert.deepEqual(await peer.nextJson(), { event: 'message', data: { type: 'text', content: 'Hello' } });
});

test('bare JSON values of every kind arrive as the event "message"', async () => {
  const server = await startServer({}, PARLEY);
  const values: unknown[] = ['text', 12.5, true, null, [1, [2]], { nested: { ok: 1 } }];
  const received: unknown[] = [];
  const all = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) => {
      socket.on('message', (value: unknown) => {
        received.push(value);
        if (received.length === values.length) resolve();
      });
    });
  });
  const { peer } = await connectPlain(server);
  for (const value of values) peer.sendJson(value);
  await withTimeout(all, 'every bare value');
  assert.deepEqual(received, values);
});

test('socket.to(room) from a plain client excludes the sender; io.emit reaches everyone', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.join('chat');
    socket.on('say', (text: unknown) => socket.to('chat').emit('said', text));
    socket.on('shout', (text: unknown) => server.io.emit('shouted', text));
  });
  const { peer: alice } = await connectPlain(server);
  const { peer: bob } = await connectPlain(server);
  const sio = await connectSio(server);

  alice.sendJson({ event: 'say', data: 'psst' });
  assert.deepEqual(await bob.nextJson(), { event: 'said', data: 'psst' });
  assert.deepEqual(await waitForArgs(sio, 'said'), ['psst']);

  alice.sendJson({ event: 'shout', data: 'HEY' });
  // Alice's next frame is the shout: she never got her own "said".
  assert.deepEqual(await alice.nextJson(), { event: 'shouted', data: 'HEY' });
  assert.deepEqual(await bob.nextJson(), { event: 'shouted', data: 'HEY' });
  assert.deepEqual(await waitForArgs(sio, 'shouted'), ['HEY']);
});

test('a plain client emitting many events gets them handled in order', async () => {
  const server = await startServer({}, PARLEY);
  const seen: number[] = [];
  const done = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) => {
      socket.on('n', (n: number) => {
        seen.push(n);
        if (n === 199) resolve();
      });
    });
  });
  const { peer } = await connectPlain(server);
  for (let n = 0; n < 200; n++) peer.sendJson({ event: 'n', data: n });
  await withTimeout(done, 'event 199');
  assert.deepEqual(
    seen,
    Array.from({ length: 200 }, (_, n) => n),
  );
});
