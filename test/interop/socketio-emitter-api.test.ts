/**
 * Interop: the EventEmitter methods socket.io's server, namespaces and sockets inherit from node's
 * EventEmitter, which applications call: `setMaxListeners` / `getMaxListeners` (and the
 * MaxListenersExceededWarning past the limit), `eventNames`, `listeners` / `rawListeners` with
 * `once` listeners, `addListener` / `removeListener` / `removeAllListeners` on the server. Run
 * against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { cleanup, connectClient, connectedPair, deferred, startServer, TRANSPORT_SETUPS } from '../support/fixtures.js';

afterEach(cleanup);

const WEBSOCKET = TRANSPORT_SETUPS.find((s) => s.name === 'websocket')!;

/** The MaxListenersExceededWarnings process 'warning' reports while `body` runs (and a turn after). */
async function leakWarnings(body: () => void): Promise<(Error & { type?: unknown; count?: unknown; emitter?: unknown })[]> {
  const seen: Error[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === 'MaxListenersExceededWarning') seen.push(warning);
  };
  process.on('warning', onWarning);
  try {
    body();
    // process.emitWarning reports on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('EventEmitter methods of the server, namespaces and sockets', () => {
  test('getMaxListeners is 10 by default; setMaxListeners changes it and returns the emitter', async () => {
    const { io, socket } = await connectedPair(WEBSOCKET);
    const nsp = io.of('/');
    for (const emitter of [io, nsp, socket]) assert.equal(emitter.getMaxListeners(), 10);
    assert.equal(socket.setMaxListeners(25), socket);
    assert.equal(socket.getMaxListeners(), 25);
    assert.equal(nsp.setMaxListeners(0), nsp);
    assert.equal(nsp.getMaxListeners(), 0);
    // socket.io hands every EventEmitter method of the server to its main namespace (and returns
    // what that returns): only the effect is the same on both.
    io.setMaxListeners(30);
    assert.equal(io.getMaxListeners(), 30);
    assert.throws(() => socket.setMaxListeners(-1), RangeError);
  });

  test('past the limit, one MaxListenersExceededWarning per event; none with setMaxListeners(0)', async () => {
    const { socket } = await connectedPair(WEBSOCKET);
    const noop = () => undefined;
    const first = await leakWarnings(() => {
      for (let i = 0; i < 10; i++) socket.on('busy', noop);
    });
    assert.deepEqual(first, [], 'ten listeners are within the default limit');
    const warned = await leakWarnings(() => {
      socket.on('busy', noop);
      socket.on('busy', noop);
    });
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.type, 'busy');
    assert.equal(warned[0]!.count, 11);
    assert.equal(warned[0]!.emitter, socket);
    socket.setMaxListeners(0);
    const unlimited = await leakWarnings(() => {
      for (let i = 0; i < 20; i++) socket.on('other', noop);
    });
    assert.deepEqual(unlimited, []);
  });

  test('eventNames lists the events with listeners; listeners gives a once listener as given, rawListeners its wrapper', async () => {
    const { socket } = await connectedPair(WEBSOCKET);
    const plain = () => undefined;
    const single = () => undefined;
    socket.on('alpha', plain);
    socket.once('beta', single);
    const names = socket.eventNames();
    assert.ok(names.includes('alpha') && names.includes('beta'), String(names));
    assert.deepEqual(socket.listeners('beta'), [single]);
    const [raw] = socket.rawListeners('beta') as ((...args: unknown[]) => unknown)[];
    assert.notEqual(raw, single);
    assert.equal((raw as unknown as { listener: unknown }).listener, single);
    assert.deepEqual(socket.rawListeners('alpha'), [plain]);
    socket.removeAllListeners('beta');
    assert.ok(!socket.eventNames().includes('beta'));
  });

  test('the server: addListener, listeners, listenerCount, removeListener and removeAllListeners for connection', async () => {
    const { io, url } = await startServer();
    const arrived = deferred<ServerSocket>();
    const onConnection = (socket: ServerSocket) => arrived.resolve(socket);
    io.addListener('connection', onConnection);
    assert.ok(io.listeners('connection').includes(onConnection));
    assert.ok(io.rawListeners('connection').includes(onConnection));
    const client = await connectClient(url);
    assert.equal((await arrived.promise).id, client.id);
    const count = io.listenerCount('connection');
    io.removeListener('connection', onConnection);
    assert.equal(io.listenerCount('connection'), count - 1);
    io.on('connection', () => undefined);
    io.removeAllListeners('connection');
    assert.equal(io.listenerCount('connection'), 0);
  });

  test('the server: prependListener and prependOnceListener run first, for connection and new_namespace', async () => {
    const { io, url } = await startServer();
    const order: string[] = [];
    const done = deferred<void>();
    io.on('connection', () => {
      order.push('on');
      done.resolve();
    });
    io.prependListener('connection', () => order.push('prepended'));
    io.prependOnceListener('connection', () => order.push('prepended once'));
    await connectClient(url);
    await done.promise;
    assert.deepEqual(order, ['prepended once', 'prepended', 'on']);
    const created: string[] = [];
    io.on('new_namespace', (nsp) => created.push(`on ${nsp.name}`));
    io.prependOnceListener('new_namespace', (nsp: { name: string }) => created.push(`first ${nsp.name}`));
    io.of('/one');
    io.of('/two');
    assert.deepEqual(created, ['first /one', 'on /one', 'on /two']);
  });
});
