/**
 * Volatile emits to plain WebSocket clients follow the rule the engine's WebSocket transport follows
 * for Socket.IO clients (test/interop/socketio-volatile.test.ts): a volatile frame goes out only if
 * it can be written this very moment, not while a write of this turn is in progress or frames wait
 * for the flush pass. So after a regular emit an immediately following volatile one is dropped, of
 * consecutive volatile emits only the first goes out, an event with binary arguments (an envelope
 * and its binary frames) goes out whole or not at all, broadcasts alike, and what follows a dropped
 * one is delivered. Plain clients are parley's own: parley only.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import type { ClientSocket } from '../support/clients.js';
import type { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, serverSocket, type TestServer } from './support.js';

afterEach(cleanup);

/** No heartbeat during a test: a ping written at the wrong moment would make the transport busy. */
const QUIET = { pingInterval: 20000, pingTimeout: 10000 };

interface Envelope {
  event: string;
  data?: unknown;
  args?: unknown[];
  attachments?: number;
}

/**
 * The events a plain client receives, in order, until `end`: their names, with the bytes of their
 * binary frames (`name:0102`). Every frame is read: nothing may arrive between an envelope and the
 * binary frames it announced.
 */
async function recordPlain(peer: WsClient): Promise<string[]> {
  const events: string[] = [];
  for (;;) {
    const envelope = (await peer.nextJson('an event envelope')) as Envelope;
    let entry = envelope.event;
    for (let i = 0; i < (envelope.attachments ?? 0); i++)
      entry += `${i === 0 ? ':' : ','}${(await peer.nextBinary(`attachment ${i} of ${envelope.event}`)).toString('hex')}`;
    events.push(entry);
    if (envelope.event === 'end') return events;
  }
}

/** The events an official client receives, in the same notation, until `end`. */
function recordSio(client: ClientSocket): Promise<string[]> {
  const events: string[] = [];
  return new Promise((resolve) => {
    client.onAny((event: string, ...args: unknown[]) => {
      const binary = args.filter((a): a is Buffer => Buffer.isBuffer(a));
      events.push(binary.length === 0 ? event : `${event}:${binary.map((b) => b.toString('hex')).join(',')}`);
      if (event === 'end') resolve(events);
    });
  });
}

/** A server with one plain client; `when(act)` runs `act` when the client's `go` arrives. */
async function plainPair(server?: TestServer) {
  const started = server ?? (await startServer(QUIET, PARLEY));
  const { peer, id } = await connectPlain(started);
  const socket = serverSocket(started.io, id);
  return {
    server: started,
    peer,
    socket,
    /** `act` runs on the server when the client's `go` arrives (nothing was written since the connect frame). */
    when(act: (socket: Socket) => void): Promise<string[]> {
      socket.once('go', () => act(socket));
      peer.sendJson({ event: 'go' });
      return recordPlain(peer);
    },
  };
}

test('after a regular emit, an immediately following volatile emit is dropped; the regular one after it is delivered', async () => {
  const { when } = await plainPair();
  const events = await when((s) => {
    s.emit('regular');
    s.volatile.emit('dropped');
    s.emit('end');
  });
  assert.deepEqual(events, ['regular', 'end']);
});

test('of several consecutive volatile emits only the first is delivered', async () => {
  const { when } = await plainPair();
  const events = await when((s) => {
    s.volatile.emit('first');
    s.volatile.emit('second');
    s.volatile.emit('third');
    s.emit('end');
  });
  assert.deepEqual(events, ['first', 'end']);
});

test('binary: a volatile event goes out with all its binary frames or not at all', async () => {
  const { when } = await plainPair();
  const events = await when((s) => {
    s.volatile.emit('first', Buffer.from([1, 2]), Buffer.from([3]));
    s.volatile.emit('second', Buffer.from([4]));
    s.emit('regular', Buffer.from([5]));
    s.volatile.emit('third', Buffer.from([6]), Buffer.from([7]));
    s.emit('end');
  });
  assert.deepEqual(events, ['first:0102,03', 'regular:05', 'end']);
});

test('once the write is over (the next turn), a volatile emit is delivered', async () => {
  const { when } = await plainPair();
  const events = await when((s) => {
    s.emit('regular');
    setImmediate(() => {
      s.volatile.emit('later');
      s.emit('end');
    });
  });
  assert.deepEqual(events, ['regular', 'later', 'end']);
});

test('broadcasts: a volatile broadcast after a regular one, and the second of two volatile ones, are dropped for plain and socket.io clients alike', async () => {
  const server = await startServer(QUIET, PARLEY);
  const { when } = await plainPair(server);
  const other = await connectPlain(server);
  const sio = await connectSio(server);
  const otherEvents = recordPlain(other.peer);
  const sioEvents = recordSio(sio);
  const events = await when(() => {
    server.io.volatile.emit('first');
    server.io.volatile.emit('second');
    server.io.emit('regular');
    server.io.volatile.emit('third', Buffer.from([1]));
    server.io.emit('end');
  });
  assert.deepEqual(events, ['first', 'regular', 'end']);
  assert.deepEqual(await otherEvents, ['first', 'regular', 'end']);
  assert.deepEqual(await sioEvents, ['first', 'regular', 'end']);
});

test('a volatile broadcast right after a direct emit to a plain client skips that client only', async () => {
  const server = await startServer(QUIET, PARLEY);
  const { when } = await plainPair(server);
  const other = await connectPlain(server);
  const otherEvents = recordPlain(other.peer);
  const events = await when((s) => {
    s.emit('direct');
    server.io.volatile.emit('broadcast');
    server.io.emit('end');
  });
  assert.deepEqual(events, ['direct', 'end']);
  assert.deepEqual(await otherEvents, ['broadcast', 'end']);
});

test('in the connection handler, a volatile emit is dropped: the connect frame is being written', async () => {
  const server = await startServer(QUIET, PARLEY);
  server.io.on('connection', (socket: Socket) => {
    socket.volatile.emit('dropped');
    socket.emit('end');
  });
  const { peer } = await connectPlain(server);
  assert.deepEqual(await recordPlain(peer), ['end']);
});
