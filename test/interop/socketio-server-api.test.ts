/**
 * Interop: the server API around namespaces as socket.io 4.8 has it: `allSockets()` on the server,
 * a namespace and a broadcast operator; the `new_namespace` event for static and dynamic
 * namespaces; `io.sockets` and `io.of('')`; `io.close(cb)` on an HTTP server that is not listening.
 * Run against parley and, with PARLEY_TEST_AGAINST=socket.io, against socket.io itself.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { cleanup, connectClient, makeClient, startServer, waitFor, whenConnected } from '../support/fixtures.js';
import { listenOnLoopback } from '../support/loopback.js';
import { Server } from '../support/server-under-test.js';

afterEach(cleanup);

describe('server API: namespaces', () => {
  test('allSockets() lists socket ids: of the main namespace, of a room, of another namespace', async () => {
    const { io, url } = await startServer();
    const joined = waitFor<{ id: string; join(room: string): unknown }>(io, 'connection');
    const first = await connectClient(url);
    (await joined).join('room-a');
    const second = await connectClient(url);
    const ids = new Set([first.id, second.id]);
    assert.deepEqual(await io.allSockets(), ids);
    assert.deepEqual(await io.of('/').allSockets(), ids);
    assert.deepEqual(await io.in('room-a').allSockets(), new Set([first.id]));
    assert.deepEqual(await io.of('/elsewhere').allSockets(), new Set());
  });

  test('new_namespace is emitted for a namespace made with of(), and for a dynamic child on its first connection', async () => {
    const { io, url } = await startServer();
    const created: string[] = [];
    io.on('new_namespace', (nsp) => created.push(nsp.name));
    io.of('/static');
    io.of(/^\/dyn-\d+$/);
    await connectClient(url, { nsp: '/dyn-7' });
    await connectClient(url, { nsp: '/dyn-7' });
    assert.deepEqual(created, ['/static', '/dyn-7']);
  });

  test("io.sockets is io.of('/'), and io.of('') is the same namespace", async () => {
    const { io } = await startServer();
    assert.equal(io.sockets, io.of('/'));
    assert.equal(io.of(''), io.of('/'));
  });
});

describe('server API: the adapter class', () => {
  test('io.adapter() reads the class; io.adapter(Class) gives every namespace, old and new, an adapter of it', async () => {
    const { io, url } = await startServer();
    const Default = io.adapter() as unknown as new (...args: never[]) => object;
    assert.equal(typeof Default, 'function');
    const made: string[] = [];
    class Tagged extends (Default as unknown as new (nsp: { name: string }) => object) {
      constructor(nsp: { name: string }) {
        super(nsp);
        made.push(nsp.name);
      }
    }
    assert.equal(io.adapter(Tagged as never), io);
    assert.equal(io.adapter(), Tagged);
    assert.ok(io.of('/').adapter instanceof Tagged);
    assert.ok(io.of('/later').adapter instanceof Tagged);
    assert.deepEqual(made, ['/', '/later']);
    // Rooms work on the new adapter.
    const joined = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url);
    (await joined).join('room-t');
    const heard = waitFor<string>(client, 'hello');
    io.to('room-t').emit('hello', 'tagged');
    assert.equal(await heard, 'tagged');
  });
});

describe('server API: close', () => {
  test('io.close(cb) passes ERR_SERVER_NOT_RUNNING when its HTTP server is not listening', async () => {
    const io = new Server(createServer());
    const err = await new Promise<Error | undefined>((resolve) => {
      void io.close((e?: Error) => resolve(e));
    });
    assert.equal((err as NodeJS.ErrnoException | undefined)?.code, 'ERR_SERVER_NOT_RUNNING');
  });

  test('io.close() stops listening before its sockets see disconnect: the port is free in the handler', async () => {
    const http = createServer();
    const io = new Server(http);
    const port = await listenOnLoopback(http);
    const client = makeClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
    const connected = waitFor<ServerSocket>(io, 'connection');
    await whenConnected(client);
    const socket = await connected;
    const free = new Promise<boolean>((resolve) => {
      socket.on('disconnect', () => {
        const probe = createNetServer();
        probe.once('error', () => resolve(false));
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
      });
    });
    await io.close();
    assert.equal(await free, true);
  });
});

describe('server API: flags set on a socket carry to its broadcasts', () => {
  test('socket.timeout(ms).broadcast.emit with a callback times out with the answers that came', async () => {
    const { io, url } = await startServer();
    const asker = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url);
    const silent = await connectClient(url);
    silent.on('ask', () => {
      // never answers
    });
    const socket = await asker;
    const [err, responses] = await new Promise<[Error | null, unknown[]]>((resolve) => {
      socket.timeout(100).broadcast.emit('ask', (e: Error | null, r: unknown[]) => resolve([e, r]));
    });
    assert.ok(err instanceof Error, 'the timeout is an error');
    assert.deepEqual(responses, []);
  });

  test('socket.local is a broadcast to the other sockets of this process, not to the socket itself', async () => {
    const { io, url } = await startServer();
    const first = waitFor<ServerSocket>(io, 'connection');
    const self = await connectClient(url);
    const other = await connectClient(url);
    const socket = await first;
    const heard: string[] = [];
    self.on('around', () => heard.push('self'));
    const toOther = waitFor<string>(other, 'around');
    socket.local.emit('around', 'you');
    assert.equal(await toOther, 'you');
    // A round trip on the socket's own connection: anything sent before it has arrived.
    socket.emit('after');
    await waitFor(self, 'after');
    assert.deepEqual(heard, []);
  });
});
