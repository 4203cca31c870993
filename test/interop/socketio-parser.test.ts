/**
 * Interop: the `parser` option with socket.io's parser interface, here socket.io-msgpack-parser on
 * both ends (the server's option and the official client's): events, acks, binary, namespaces,
 * broadcasts and rooms, connect errors, each over every client transport; a broadcast encoded once
 * for all its recipients; a decoder that throws closes that connection only, after the socket's
 * 'error'. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself;
 * plain WebSocket clients keeping their JSON protocol is parley's own.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import * as socketIoParser from 'socket.io-parser';
import type { Socket as ParleySocket } from '../../src/index.js';
import {
  cleanup,
  type ConnectOptions,
  connectClient,
  connectNamespace,
  forEachTransport,
  makeClient,
  startServer,
  waitFor,
  waitForArgs,
} from '../support/fixtures.js';
import { PARLEY } from '../support/servers.js';
import { connectPlain } from '../native/support.js';

afterEach(cleanup);

interface ParserModule {
  Encoder: new () => { encode(packet: unknown): unknown };
  Decoder: new () => { add(chunk: unknown): void; destroy(): void; on(event: string, fn: (p: unknown) => void): unknown };
}

const msgpack = createRequire(import.meta.url)('socket.io-msgpack-parser') as ParserModule;

/** Client options speaking msgpack over `setup`. */
function msgpackClient(opts: ConnectOptions): ConnectOptions {
  return { ...opts, parser: msgpack } as ConnectOptions;
}

forEachTransport((setup) => {
  const clientOpts = msgpackClient({ setup });

  async function pair() {
    const server = await startServer({ parser: msgpack });
    const connection = waitFor<ServerSocket>(server.io, 'connection');
    const client = await connectClient(server.url, clientOpts);
    return { ...server, client, socket: await connection };
  }

  test('events travel both ways with their arguments', async () => {
    const { client, socket } = await pair();
    const heard = waitForArgs(socket, 'hello');
    client.emit('hello', 'text', 42, { nested: [true, null] });
    assert.deepEqual(await heard, ['text', 42, { nested: [true, null] }]);
    const back = waitForArgs(client, 'reply');
    socket.emit('reply', { n: 1 }, ['a']);
    assert.deepEqual(await back, [{ n: 1 }, ['a']]);
  });

  test('acks travel both ways', async () => {
    const { client, socket } = await pair();
    socket.on('sum', (a: number, b: number, ack: (n: number) => void) => ack(a + b));
    assert.equal(await client.emitWithAck('sum', 2, 3), 5);
    client.on('name', (ack: (n: string) => void) => ack('client'));
    assert.equal(await socket.emitWithAck('name'), 'client');
  });

  test('binary arguments arrive as binary with the same bytes, both ways', async () => {
    const { client, socket } = await pair();
    const heard = waitForArgs(socket, 'bytes');
    client.emit('bytes', Buffer.from([1, 2, 3]), { inner: Buffer.from([4]) });
    const [first, second] = (await heard) as [Buffer, { inner: Buffer }];
    assert.deepEqual([...first], [1, 2, 3]);
    assert.deepEqual([...second.inner], [4]);
    const back = waitForArgs(client, 'bytes');
    socket.emit('bytes', Buffer.from([9, 8]));
    const [echoed] = (await back) as [Uint8Array];
    assert.deepEqual([...echoed], [9, 8]);
  });

  test('a second namespace on the same connection, with its own events', async () => {
    const server = await startServer({ parser: msgpack });
    const admin = waitFor<ServerSocket>(server.io.of('/admin'), 'connection');
    const main = await connectClient(server.url, clientOpts);
    const adminClient = await connectNamespace(main.io, '/admin');
    const adminSocket = await admin;
    const heard = waitForArgs(adminSocket, 'who');
    adminClient.emit('who', 'admin');
    assert.deepEqual(await heard, ['admin']);
    const back = waitForArgs(adminClient, 'hi');
    adminSocket.emit('hi', 'from /admin');
    assert.deepEqual(await back, ['from /admin']);
  });

  test('broadcasts reach the members of a room only', async () => {
    const server = await startServer({ parser: msgpack });
    const sockets: ServerSocket[] = [];
    server.io.on('connection', (socket) => sockets.push(socket));
    const inRoom = await connectClient(server.url, clientOpts);
    const outside = await connectClient(server.url, clientOpts);
    sockets.find((s) => s.id === inRoom.id)!.join('room');
    let leaked = false;
    outside.on('news', () => (leaked = true));
    const heard = waitForArgs(inRoom, 'news');
    server.io.to('room').emit('news', 'for the room', Buffer.from([7]));
    const [text, bytes] = (await heard) as [string, Uint8Array];
    assert.equal(text, 'for the room');
    assert.deepEqual([...bytes], [7]);
    // Whatever reached `outside` would have come before this event, on the same connection.
    const everyone = waitForArgs(outside, 'all');
    server.io.emit('all');
    await everyone;
    assert.equal(leaked, false);
  });

  test('a middleware refusal reaches the client as connect_error with its message and data', async () => {
    const server = await startServer({ parser: msgpack });
    server.io.use((_socket, next) => next(Object.assign(new Error('not allowed'), { data: { code: 7 } })));
    const client = makeClient(server.url, clientOpts);
    const err = await waitFor<Error & { data?: unknown }>(client, 'connect_error');
    assert.equal(err.message, 'not allowed');
    assert.deepEqual(err.data, { code: 7 });
  });
});

describe('custom parser: encoding and decoding', () => {
  test('socket.io-parser itself given as the parser speaks the default protocol with a default client', async () => {
    const server = await startServer({ parser: socketIoParser });
    const connection = waitFor<ServerSocket>(server.io, 'connection');
    const client = await connectClient(server.url);
    const socket = await connection;
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
    const answer = (await client.emitWithAck('echo', { bytes: Buffer.from([1, 2]) })) as { bytes: Uint8Array };
    assert.deepEqual([...answer.bytes], [1, 2]);
  });

  test('a broadcast to several clients is encoded once', async () => {
    let encodes = 0;
    const counting: ParserModule = {
      Encoder: class extends msgpack.Encoder {
        override encode(packet: unknown) {
          encodes++;
          return super.encode(packet);
        }
      },
      Decoder: msgpack.Decoder,
    };
    const server = await startServer({ parser: counting });
    const clients = await Promise.all([1, 2, 3].map(() => connectClient(server.url, msgpackClient({}))));
    const heard = clients.map((client) => waitForArgs(client, 'news'));
    const before = encodes;
    server.io.emit('news', 'once');
    assert.deepEqual(await Promise.all(heard), [['once'], ['once'], ['once']]);
    assert.equal(encodes - before, 1);
  });

  test("a decoder that throws closes that connection only, after the socket's 'error'", async () => {
    const fragile: ParserModule = {
      Encoder: msgpack.Encoder,
      Decoder: class extends msgpack.Decoder {
        override add(chunk: unknown) {
          // A message carrying the text "boom" anywhere is more than this decoder can take.
          if (Buffer.isBuffer(chunk) && chunk.includes('boom')) throw new Error('boom');
          super.add(chunk);
        }
      },
    };
    const server = await startServer({ parser: fragile });
    const sockets: ServerSocket[] = [];
    server.io.on('connection', (socket) => sockets.push(socket));
    const victim = await connectClient(server.url, msgpackClient({ transports: ['websocket'] }));
    const bystander = await connectClient(server.url, msgpackClient({ transports: ['websocket'] }));
    const socket = sockets.find((s) => s.id === victim.id)!;
    const log: string[] = [];
    socket.on('error', (err) => log.push(`error:${err.message}`));
    const left = waitFor<string>(socket, 'disconnect');
    victim.emit('boom');
    assert.equal(await left, 'forced close');
    assert.deepEqual(log, ['error:boom']);
    // The other connection goes on.
    const other = sockets.find((s) => s.id === bystander.id)!;
    other.on('ping?', (ack: (v: string) => void) => ack('pong'));
    assert.equal(await bystander.emitWithAck('ping?'), 'pong');
  });

  test('plain WebSocket clients keep their JSON protocol on a server with a custom parser', async () => {
    const server = await startServer({ parser: msgpack as never }, PARLEY);
    const connection = waitFor<ParleySocket>(server.io, 'connection');
    const { peer } = await connectPlain(server);
    const socket = await connection;
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
    peer.sendJson({ event: 'echo', data: { text: 'json' }, id: 1 });
    assert.deepEqual(await peer.nextJson('the ack'), { ack: 1, data: { text: 'json' } });
    // A broadcast reaches a msgpack client and the plain client, each in its own format.
    const sio = await connectClient(server.url, msgpackClient({ transports: ['websocket'] }));
    const heard = waitForArgs(sio, 'news');
    server.io.emit('news', 'both');
    assert.deepEqual(await heard, ['both']);
    assert.deepEqual(await peer.nextJson('the broadcast'), { event: 'news', data: 'both' });
  });
});
