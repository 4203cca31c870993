/**
 * Interop: namespaces — static ones, dynamic ones (RegExp and function matchers) with their child
 * namespaces, multiplexing several namespaces over one connection, isolation, and the
 * "Invalid namespace" connect error.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  connectNamespace,
  forEachTransport,
  makeClient,
  startServer,
  waitFor,
  waitForArgs,
} from '../support/fixtures.js';

afterEach(cleanup);

/** A RegExp parent (`/dyn-N`) whose middleware records the name of each child a client joins. */
function recordingParent(io: Awaited<ReturnType<typeof startServer>>['io']) {
  const parent = io.of(/^\/dyn-\d+$/);
  const ran: string[] = [];
  parent.use((socket, next) => {
    ran.push(socket.nsp.name);
    next();
  });
  return { parent, ran };
}

function engineId(socket: ServerSocket): string {
  // engine.io 6.6 types `conn.id` as private; it is public at run time.
  return (socket.conn as unknown as { id: string }).id;
}

forEachTransport((setup) => {
  test("a client connects to a static namespace '/admin'; the server socket's nsp is that namespace", async () => {
    const { io, url } = await startServer();
    const admin = io.of('/admin');
    const connection = waitFor<ServerSocket>(admin, 'connection');
    const client = await connectClient(url, { setup, nsp: '/admin' });
    const socket = await connection;
    assert.equal(socket.nsp, admin);
    assert.equal(socket.nsp.name, '/admin');
    assert.equal(socket.id, client.id);
    assert.equal(admin.sockets.get(socket.id), socket);
    // Connecting to '/admin' alone does not create a socket in the main namespace.
    assert.equal(io.of('/').sockets.size, 0);
  });

  test('namespaces are isolated: events and namespace broadcasts stay within their namespace', async () => {
    const { io, url } = await startServer();
    const admin = io.of('/admin');
    const mainConn = waitFor<ServerSocket>(io, 'connection');
    const adminConn = waitFor<ServerSocket>(admin, 'connection');
    const mainClient = await connectClient(url, { setup });
    const adminClient = await connectClient(url, { setup, nsp: '/admin' });
    const [mainSocket, adminSocket] = await Promise.all([mainConn, adminConn]);

    const seenByMain: string[] = [];
    mainClient.on('news', (s: string) => seenByMain.push(s));
    const adminGot = waitForArgs(adminClient, 'news');
    admin.emit('news', 'admin only');
    assert.deepEqual(await adminGot, ['admin only']);
    const mainGot = waitForArgs(mainClient, 'news');
    io.emit('news', 'main only');
    assert.deepEqual(await mainGot, ['main only']);
    assert.deepEqual(seenByMain, ['main only']);

    const seenByMainSocket: string[] = [];
    mainSocket.on('hello', (s: string) => seenByMainSocket.push(s));
    const adminHello = waitForArgs(adminSocket, 'hello');
    adminClient.emit('hello', 'from admin client');
    assert.deepEqual(await adminHello, ['from admin client']);
    assert.deepEqual(seenByMainSocket, []);
  });

  test('several namespaces share one engine session when opened through the same manager', async () => {
    const { io, url } = await startServer();
    const mainConn = waitFor<ServerSocket>(io, 'connection');
    const adminConn = waitFor<ServerSocket>(io.of('/admin'), 'connection');
    const mainClient = await connectClient(url, { setup });
    const adminClient = await connectNamespace(mainClient.io, '/admin');
    const [mainSocket, adminSocket] = await Promise.all([mainConn, adminConn]);
    assert.equal(io.engine.clientsCount, 1);
    assert.equal(engineId(mainSocket), engineId(adminSocket));
    assert.notEqual(mainSocket.id, adminSocket.id);
    assert.equal(adminClient.id, adminSocket.id);
    // Both namespaces work over the shared session.
    mainSocket.on('which', (cb: (n: string) => void) => cb(mainSocket.nsp.name));
    adminSocket.on('which', (cb: (n: string) => void) => cb(adminSocket.nsp.name));
    assert.equal(await mainClient.emitWithAck('which'), '/');
    assert.equal(await adminClient.emitWithAck('which'), '/admin');
  });

  test("a dynamic namespace matched by RegExp creates a child namespace named after the client's path", async () => {
    const { io, url } = await startServer();
    const parent = io.of(/^\/dyn-\d+$/);
    const connection = waitFor<ServerSocket>(parent, 'connection');
    const client = await connectClient(url, { setup, nsp: '/dyn-12' });
    const socket = await connection;
    assert.equal(socket.nsp.name, '/dyn-12');
    assert.equal(socket.id, client.id);
    // The child is now a regular namespace of the server.
    assert.equal(io.of('/dyn-12'), socket.nsp);
    assert.equal(io.of('/dyn-12').sockets.get(socket.id), socket);
  });

  test("io.of(name) for a name a RegExp parent matches makes that parent's child: its middlewares and connection listeners apply, its broadcasts reach it", async () => {
    const { io, url } = await startServer();
    const { parent, ran } = recordingParent(io);
    const viaParent = waitFor<ServerSocket>(parent, 'connection');
    const child = io.of('/dyn-101');
    assert.equal(io.of('/dyn-101'), child, 'the same child on a second call');
    const client = await connectClient(url, { setup, nsp: '/dyn-101' });
    const socket = await viaParent;
    assert.equal(socket.nsp, child);
    assert.deepEqual(ran, ['/dyn-101']);
    const heard = waitForArgs(client, 'all');
    parent.emit('all', 'from the parent');
    assert.deepEqual(await heard, ['from the parent']);
  });

  test('a parent namespace broadcasts to the sockets of all its children; a child only to its own', async () => {
    const { io, url } = await startServer();
    const parent = io.of(/^\/dyn-\d+$/);
    const a = await connectClient(url, { setup, nsp: '/dyn-1' });
    const b = await connectClient(url, { setup, nsp: '/dyn-2' });
    const both = [waitForArgs(a, 'all'), waitForArgs(b, 'all')];
    parent.emit('all', 'to every child');
    assert.deepEqual(await Promise.all(both), [['to every child'], ['to every child']]);

    const seenByB: string[] = [];
    b.on('one', (s: string) => seenByB.push(s));
    const onlyA = waitForArgs(a, 'one');
    io.of('/dyn-1').emit('one', 'child 1 only');
    assert.deepEqual(await onlyA, ['child 1 only']);
    // A later event on b proves ordering: the child-1 broadcast, if it were sent to b, came before.
    const marker = waitForArgs(b, 'marker');
    io.of('/dyn-2').emit('marker');
    await marker;
    assert.deepEqual(seenByB, []);
  });

  test('middleware registered on a parent namespace runs for every child connection', async () => {
    const { io, url } = await startServer();
    const { ran } = recordingParent(io);
    await connectClient(url, { setup, nsp: '/dyn-5' });
    await connectClient(url, { setup, nsp: '/dyn-6' });
    assert.deepEqual(ran, ['/dyn-5', '/dyn-6']);
  });

  test('a dynamic namespace matched by a function gets the name and auth, and may accept or refuse', async () => {
    const { io, url } = await startServer();
    const calls: Array<[string, unknown]> = [];
    const parent = io.of((name, auth, next) => {
      calls.push([name, auth]);
      next(null, name.startsWith('/fn-') && (auth as { ok?: boolean }).ok === true);
    });
    const connection = waitFor<ServerSocket>(parent, 'connection');
    const client = await connectClient(url, { setup, nsp: '/fn-abc', auth: { ok: true } });
    const socket = await connection;
    assert.equal(socket.nsp.name, '/fn-abc');
    assert.equal(socket.id, client.id);
    assert.deepEqual(calls, [['/fn-abc', { ok: true }]]);

    const refused = makeClient(url, { setup, nsp: '/fn-xyz', auth: { ok: false } });
    const err = await waitFor<Error>(refused, 'connect_error');
    assert.equal(err.message, 'Invalid namespace');
  });

  test('connecting to an unknown namespace fails with connect_error "Invalid namespace"', async () => {
    const { io, url } = await startServer();
    io.of(/^\/dyn-\d+$/);
    for (const nsp of ['/nope', '/dyn-abc']) {
      const client = makeClient(url, { setup, nsp });
      const err = await waitFor<Error>(client, 'connect_error');
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Invalid namespace');
      assert.equal(client.connected, false);
    }
  });

  test('an invalid namespace on a shared connection leaves the other namespaces connected', async () => {
    const { io, url } = await startServer();
    const mainClient = await connectClient(url, { setup });
    const bad = mainClient.io.socket('/nope'); // connects right away (autoConnect)
    const err = await waitFor<Error>(bad, 'connect_error');
    assert.equal(err.message, 'Invalid namespace');
    bad.disconnect();
    assert.equal(mainClient.connected, true);
    const socket = io.of('/').sockets.get(mainClient.id ?? '');
    assert.ok(socket);
    socket.on('still-there', (cb: (v: string) => void) => cb('yes'));
    assert.equal(await mainClient.emitWithAck('still-there'), 'yes');
  });
});
