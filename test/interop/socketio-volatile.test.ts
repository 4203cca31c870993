/**
 * Interop: volatile emits as socket.io 4.8 drops them. A volatile packet goes out only if the
 * transport can take it this very moment: over WebSocket, not while a write is still in progress
 * (the one just made, until the next tick); over polling, only while a GET is held. So after a
 * regular emit an immediately following volatile one is dropped, of consecutive volatile emits only
 * the first goes out, binary and broadcasts alike, and regular emits after a dropped one are
 * delivered. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  type ClientSocket,
  cleanup,
  connectClient,
  forEachTransport,
  makeClient,
  startServer,
  TRANSPORT_SETUPS,
  type TransportSetup,
  waitFor,
  waitUntil,
} from '../support/fixtures.js';

afterEach(cleanup);

const WEBSOCKET = TRANSPORT_SETUPS.find((s) => s.name === 'websocket')!;
const POLLING = TRANSPORT_SETUPS.find((s) => s.name === 'polling')!;

/** No heartbeat during a test: a ping written at the wrong moment would make the transport busy. */
const QUIET = { pingInterval: 20000, pingTimeout: 10000 };

/** What a client receives, in order (event names, with a binary argument's bytes), until `end`. */
function record(client: ClientSocket): Promise<string[]> {
  const events: string[] = [];
  return new Promise((resolve) => {
    client.onAny((event: string, ...args: unknown[]) => {
      const binary = args.find((a): a is Buffer => Buffer.isBuffer(a));
      events.push(binary === undefined ? event : `${event}:${binary.toString('hex')}`);
      if (event === 'end') resolve(events);
    });
  });
}

/** A server with one client over `setup`; `act` runs on the server when the client asks. */
async function pair(setup: TransportSetup) {
  const { io, url } = await startServer(QUIET);
  const connected = waitFor<ServerSocket>(io, 'connection');
  const client = await connectClient(url, { setup, upgraded: true });
  const socket = await connected;
  return {
    io,
    url,
    client,
    socket,
    /** Runs `act` on the server when the client's `go` arrives (the server has written nothing since connecting). */
    when(act: (socket: ServerSocket) => void): Promise<string[]> {
      const events = record(client);
      socket.once('go', () => act(socket));
      client.emit('go');
      return events;
    },
  };
}

describe('volatile over websocket: dropped while a write is in progress', () => {
  test('after a regular emit, an immediately following volatile emit is dropped; the regular one after it is delivered', async () => {
    const { when } = await pair(WEBSOCKET);
    const events = await when((s) => {
      s.emit('regular');
      s.volatile.emit('dropped');
      s.emit('end');
    });
    assert.deepEqual(events, ['regular', 'end']);
  });

  test('of several consecutive volatile emits only the first is delivered', async () => {
    const { when } = await pair(WEBSOCKET);
    const events = await when((s) => {
      s.volatile.emit('first');
      s.volatile.emit('second');
      s.volatile.emit('third');
      s.emit('end');
    });
    assert.deepEqual(events, ['first', 'end']);
  });

  test('binary: the first volatile emit arrives whole, the next ones and one after a regular emit are dropped', async () => {
    const { when } = await pair(WEBSOCKET);
    const events = await when((s) => {
      s.volatile.emit('first', Buffer.from([1, 2]));
      s.volatile.emit('second', Buffer.from([3]));
      s.emit('regular', Buffer.from([4]));
      s.volatile.emit('third', Buffer.from([5]));
      s.emit('end');
    });
    assert.deepEqual(events, ['first:0102', 'regular:04', 'end']);
  });

  test('once the write is over (the next turn), a volatile emit is delivered', async () => {
    const { when } = await pair(WEBSOCKET);
    const events = await when((s) => {
      s.emit('regular');
      setImmediate(() => {
        s.volatile.emit('later');
        s.emit('end');
      });
    });
    assert.deepEqual(events, ['regular', 'later', 'end']);
  });

  test('broadcasts: a volatile broadcast after a regular one, and the second of two volatile ones, are dropped for every client', async () => {
    const { io, url, when } = await pair(WEBSOCKET);
    const other = await connectClient(url, { setup: WEBSOCKET });
    const otherEvents = record(other);
    const events = await when(() => {
      io.volatile.emit('first');
      io.volatile.emit('second');
      io.emit('regular');
      io.volatile.emit('third');
      io.emit('end');
    });
    assert.deepEqual(events, ['first', 'regular', 'end']);
    assert.deepEqual(await otherEvents, ['first', 'regular', 'end']);
  });

  test('a volatile broadcast right after a direct emit to a socket skips that socket only', async () => {
    const { io, url, when } = await pair(WEBSOCKET);
    const other = await connectClient(url, { setup: WEBSOCKET });
    const otherEvents = record(other);
    const events = await when((s) => {
      s.emit('direct');
      io.volatile.emit('broadcast');
      io.emit('end');
    });
    assert.deepEqual(events, ['direct', 'end']);
    assert.deepEqual(await otherEvents, ['broadcast', 'end']);
  });
});

describe('volatile over polling: dropped unless a GET is held', () => {
  test('after a regular emit, an immediately following volatile emit is dropped; the regular one after it is delivered', async () => {
    const { when } = await pair(POLLING);
    const events = await when((s) => {
      s.emit('regular');
      s.volatile.emit('dropped');
      s.emit('end');
    });
    assert.deepEqual(events, ['regular', 'end']);
  });

  test('with a GET held, the first of several volatile emits is delivered', async () => {
    const { client, socket } = await pair(POLLING);
    const events = record(client);
    await waitUntil(() => socket.conn.transport.writable, 'the server holds a GET');
    socket.volatile.emit('first');
    socket.volatile.emit('second');
    socket.emit('end');
    assert.deepEqual(await events, ['first', 'end']);
  });
});

describe('volatile in the connection handler', () => {
  forEachTransport((setup) => {
    test('is dropped: the CONNECT packet is being written', async () => {
      const { io, url } = await startServer(QUIET);
      io.on('connection', (socket) => {
        socket.volatile.emit('dropped');
        socket.emit('end');
      });
      // Listening before the client connects (it does so in a later turn).
      const events = record(makeClient(url, { setup }));
      assert.deepEqual(await events, ['end']);
    });
  });
});
