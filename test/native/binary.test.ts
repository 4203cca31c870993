/**
 * Binary payloads with plain WebSocket clients: bare binary frames, envelopes announcing
 * "attachments" followed by binary frames, binary sent by the server, and binary broadcasts reaching
 * plain and socket.io clients alike.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { waitForArgs, withTimeout } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, serverSocket, type TestServer } from './support.js';

afterEach(cleanup);

type Ack = (...args: unknown[]) => void;

/** Bytes from whatever binary type a client library hands out. */
function bytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  assert.fail(`not binary: ${typeof value}`);
}

/** Resolves with the arguments of the first `event` any plain socket of the server sends. */
function firstEvent(server: TestServer, event: string): Promise<unknown[]> {
  return new Promise((resolve) => {
    server.io.on('connection', (socket: Socket) => socket.on(event, (...args: unknown[]) => resolve(args)));
  });
}

test('a bare binary frame reaches the app as "message" with a Buffer', async () => {
  const server = await startServer({}, PARLEY);
  const got = firstEvent(server, 'message');
  const { peer } = await connectPlain(server);
  const payload = Buffer.from([0, 1, 2, 250, 255]);
  peer.ws.send(payload);
  const [value] = await withTimeout(got, 'the event');
  assert.ok(Buffer.isBuffer(value));
  assert.deepEqual(value, payload);
});

test('an envelope with "attachments":1 and a binary frame reaches the app with the Buffer in place', async () => {
  const server = await startServer({}, PARLEY);
  const got = firstEvent(server, 'upload');
  const { peer } = await connectPlain(server);
  peer.sendJson({
    event: 'upload',
    data: { name: 'a.bin', content: { _placeholder: true, num: 0 } },
    attachments: 1,
  });
  peer.ws.send(Buffer.from('file content'));
  const [value] = await withTimeout(got, 'the event');
  assert.deepEqual(value, { name: 'a.bin', content: Buffer.from('file content') });
});

test('several attachments fill several placeholders, in any order, with an ack', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('concat', (parts: Buffer[], ack: Ack) => ack(Buffer.concat(parts).toString()));
  });
  const { peer } = await connectPlain(server);
  peer.sendJson({
    event: 'concat',
    data: [
      { _placeholder: true, num: 1 },
      { _placeholder: true, num: 0 },
    ],
    attachments: 2,
    id: 4,
  });
  peer.ws.send(Buffer.from('world'));
  peer.ws.send(Buffer.from('hello '));
  assert.deepEqual(await peer.nextJson(), { ack: 4, data: 'hello world' });
});

test('a Buffer emitted by the server arrives as an envelope with a placeholder, then a binary frame', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  socket.emit('file', { name: 'x', content: Buffer.from([7, 8, 9]) }, 'tail');
  assert.deepEqual(await peer.nextJson(), {
    event: 'file',
    args: [{ name: 'x', content: { _placeholder: true, num: 0 } }, 'tail'],
    attachments: 1,
  });
  assert.deepEqual(await peer.nextBinary(), Buffer.from([7, 8, 9]));

  socket.emit('raw', new Uint8Array([1, 2]));
  assert.deepEqual(await peer.nextJson(), { event: 'raw', data: { _placeholder: true, num: 0 }, attachments: 1 });
  assert.deepEqual(await peer.nextBinary(), Buffer.from([1, 2]));
});

test('an ack carrying binary is sent as an envelope plus binary frame', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('download', (ack: Ack) => ack(Buffer.from('payload'), 'meta'));
  });
  const { peer } = await connectPlain(server);
  peer.sendJson({ event: 'download', id: 1 });
  assert.deepEqual(await peer.nextJson(), {
    ack: 1,
    args: [{ _placeholder: true, num: 0 }, 'meta'],
    attachments: 1,
  });
  assert.deepEqual(await peer.nextBinary(), Buffer.from('payload'));
});

test('a plain client answers a server ack with binary', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server);
  const answer = serverSocket(server.io, id).timeout(2000).emitWithAck('give');
  const frame = (await peer.nextJson()) as { id: number };
  peer.sendJson({ ack: frame.id, data: { _placeholder: true, num: 0 }, attachments: 1 });
  peer.ws.send(Buffer.from([42]));
  assert.deepEqual(await answer, Buffer.from([42]));
});

test('a binary broadcast reaches plain and socket.io clients', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.join('room');
    socket.on('message', (data: unknown) => server.io.to('room').emit('blob', data));
  });
  const { peer: sender } = await connectPlain(server);
  const { peer: other } = await connectPlain(server);
  const sio = await connectSio(server);
  const sioGot = waitForArgs(sio, 'blob');

  const payload = Buffer.from([1, 2, 3, 4]);
  sender.ws.send(payload);
  for (const peer of [sender, other]) {
    assert.deepEqual(await peer.nextJson(), { event: 'blob', data: { _placeholder: true, num: 0 }, attachments: 1 });
    assert.deepEqual(await peer.nextBinary(), payload);
  }
  const [received] = await sioGot;
  assert.deepEqual(bytes(received), payload);
});

test('binary from a socket.io client reaches a plain client as envelope plus binary frame', async () => {
  const server = await startServer({}, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.on('share', (...args: unknown[]) => socket.broadcast.emit('shared', ...args));
  });
  const { peer } = await connectPlain(server);
  const sio = await connectSio(server);
  sio.emit('share', 'photo', Buffer.from('jpeg bytes'), { thumb: Buffer.from('t') });
  assert.deepEqual(await peer.nextJson(), {
    event: 'shared',
    args: ['photo', { _placeholder: true, num: 0 }, { thumb: { _placeholder: true, num: 1 } }],
    attachments: 2,
  });
  assert.deepEqual(await peer.nextBinary(), Buffer.from('jpeg bytes'));
  assert.deepEqual(await peer.nextBinary(), Buffer.from('t'));
});

test('text and binary frames interleave in order', async () => {
  const server = await startServer({}, PARLEY);
  const seen: unknown[] = [];
  const done = new Promise<void>((resolve) => {
    server.io.on('connection', (socket: Socket) => {
      socket.on('message', (value: unknown) => {
        seen.push(Buffer.isBuffer(value) ? `bin:${value.toString()}` : value);
        if (seen.length === 4) resolve();
      });
    });
  });
  const { peer } = await connectPlain(server);
  peer.sendJson('a');
  peer.ws.send(Buffer.from('b'));
  peer.sendJson({ event: 'message', data: { _placeholder: true, num: 0 }, attachments: 1 });
  peer.ws.send(Buffer.from('c'));
  peer.sendJson('d');
  await withTimeout(done, 'four messages');
  assert.deepEqual(seen, ['a', 'bin:b', 'bin:c', 'd']);
});
