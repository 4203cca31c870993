/**
 * Acknowledgements with plain WebSocket clients, both ways: a client event with "id" is answered by
 * {"ack":id,...}; a server event expecting an answer carries "id" and the client answers with "ack";
 * unanswered server events time out, late or unknown answers are ignored.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, serverSocket } from './support.js';

afterEach(cleanup);

type Ack = (...args: unknown[]) => void;

test('a client event with "id" is answered by {"ack":id,"data":...}', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('join', (payload: { room: string }, ack: Ack) => {
      socket.join(payload.room);
      ack({ joined: payload.room, rooms: [...socket.rooms].filter((r) => r !== socket.id) });
    });
  });
  const { peer, id } = await connectPlain(server);

  peer.sendJson({ event: 'join', data: { room: 'dev' }, id: 3 });
  assert.deepEqual(await peer.nextJson('the ack'), { ack: 3, data: { joined: 'dev', rooms: ['dev'] } });
  assert.ok(serverSocket(server.io, id).rooms.has('dev'));
});

test('acks with several or no arguments use "args"', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('pair', (ack: Ack) => ack('left', 'right'));
    socket.on('nothing', (ack: Ack) => ack());
    socket.on('sum', (a: number, b: number, ack: Ack) => ack(a + b));
  });
  const { peer } = await connectPlain(server);

  peer.sendJson({ event: 'pair', id: 0 });
  peer.sendJson({ event: 'nothing', id: 1 });
  peer.sendJson({ event: 'sum', args: [2, 40], id: 2 });
  assert.deepEqual(await peer.nextJson(), { ack: 0, args: ['left', 'right'] });
  assert.deepEqual(await peer.nextJson(), { ack: 1, args: [] });
  assert.deepEqual(await peer.nextJson(), { ack: 2, data: 42 });
});

test('an event without "id" gets no ack function, so the handler sees only the data', async () => {
  const server = await startServer({}, PARLEY);
  const seen = new Promise<unknown[]>((resolve) => {
    server.io.on('connection', (socket: Socket) => socket.on('note', (...args: unknown[]) => resolve(args)));
  });
  const { peer } = await connectPlain(server);
  peer.sendJson({ event: 'note', data: 'x' });
  assert.deepEqual(await seen, ['x']);
});

test('server emitWithAck to a plain client is answered by {"ack":N,"data":...}', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);

  const answer = socket.timeout(2000).emitWithAck('question', { q: 'ready?' });
  const frame = (await peer.nextJson('the question')) as { event: string; data: unknown; id: number };
  assert.equal(frame.event, 'question');
  assert.deepEqual(frame.data, { q: 'ready?' });
  assert.equal(typeof frame.id, 'number');
  peer.sendJson({ ack: frame.id, data: 'yes' });
  assert.equal(await answer, 'yes');
});

test('server emit with a callback gets every argument of the answer', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);

  const answered = new Promise<unknown[]>((resolve) => {
    socket.emit('pick', 'a', 'b', (...args: unknown[]) => resolve(args));
  });
  const frame = (await peer.nextJson()) as { event: string; args: unknown[]; id: number };
  assert.deepEqual(frame, { event: 'pick', args: ['a', 'b'], id: frame.id });
  peer.sendJson({ ack: frame.id, args: ['b', 2] });
  assert.deepEqual(await answered, ['b', 2]);
});

test('every ack id is answered by its own reply, whatever the order of the answers', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);

  const first = socket.timeout(2000).emitWithAck('n', 1);
  const second = socket.timeout(2000).emitWithAck('n', 2);
  const a = (await peer.nextJson()) as { data: number; id: number };
  const b = (await peer.nextJson()) as { data: number; id: number };
  assert.notEqual(a.id, b.id);
  peer.sendJson({ ack: b.id, data: b.data * 10 });
  peer.sendJson({ ack: a.id, data: a.data * 10 });
  assert.deepEqual(await Promise.all([first, second]), [10, 20]);
});

test('an unanswered server event times out; the late answer is ignored and the client stays', async () => {
  const server = await startServer({}, PARLEY);
  let later: unknown;
  server.io.on('connection', (socket: Socket) => {
    socket.on('later', (value: unknown, ack: Ack) => {
      later = value;
      ack('still here');
    });
  });
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);

  const started = Date.now();
  await assert.rejects(socket.timeout(150).emitWithAck('silent'), /operation has timed out|timed? ?out/i);
  assert.ok(Date.now() - started >= 100, 'rejected before the timeout');

  const frame = (await peer.nextJson()) as { event: string; id: number };
  assert.equal(frame.event, 'silent');
  peer.sendJson({ ack: frame.id, data: 'too late' });
  peer.sendJson({ event: 'later', data: 1, id: 9 });
  assert.deepEqual(await peer.nextJson(), { ack: 9, data: 'still here' });
  assert.equal(later, 1);
  assert.ok(socket.connected);
});

test('an ack for an id the server never used is ignored', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => socket.on('echo', (v: unknown, ack: Ack) => ack(v)));
  const { peer } = await connectPlain(server);
  peer.sendJson({ ack: 12345, data: 'nobody asked' });
  peer.sendJson({ event: 'echo', data: 'after', id: 1 });
  assert.deepEqual(await peer.nextJson(), { ack: 1, data: 'after' });
});

test('a broadcast with acks collects answers from plain and socket.io clients', async () => {
  const server = await startServer({}, PARLEY);
  const { peer } = await connectPlain(server);
  const sio = await connectSio(server);
  sio.on('poll', (question: string, ack: Ack) => ack(`sio: ${question}`));

  const answers = server.io.timeout(2000).emitWithAck('poll', 'tea?');
  const frame = (await peer.nextJson()) as { event: string; data: string; id: number };
  assert.equal(frame.event, 'poll');
  peer.sendJson({ ack: frame.id, data: `plain: ${frame.data}` });
  assert.deepEqual(((await answers) as string[]).sort(), ['plain: tea?', 'sio: tea?']);
});
