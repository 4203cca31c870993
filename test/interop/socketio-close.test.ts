/**
 * Interop: shutting the server down with io.close() — every client is disconnected, every namespace
 * emptied, every engine session (also ones that never joined a namespace) closed, the attached HTTP
 * server stopped, and the callback / returned promise settled.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import type { ClientSocket } from '../support/fixtures.js';
import {
  cleanup,
  connectClient,
  connectNamespace,
  countdown,
  forEachTransport,
  makeClient,
  rawEngineClient,
  startServer,
  waitFor,
  withTimeout,
} from '../support/fixtures.js';

afterEach(cleanup);

forEachTransport((setup) => {
  test('io.close() disconnects every client ("server shutting down" on the server) and leaves no session', async () => {
    const { io, url } = await startServer();
    const serverReasons = countdown<string>(3);
    io.on('connection', (socket) => socket.on('disconnect', (reason: string) => serverReasons.hit(reason)));
    const clients: ClientSocket[] = [];
    for (let i = 0; i < 3; i++) clients.push(await connectClient(url, { setup }));
    assert.equal(io.of('/').sockets.size, 3);
    const clientReasons = clients.map((c) => waitFor<string>(c, 'disconnect'));
    await io.close();
    assert.deepEqual(await serverReasons.wait('server-side disconnect'), [
      'server shutting down',
      'server shutting down',
      'server shutting down',
    ]);
    // The client only sees its transport go away: "transport close" — or, with socket.io 4.8 over polling
    // (also a not-yet-upgraded client), sometimes "transport error" (a poll request cut when the HTTP
    // server closes, rather than answered).
    for (const reason of await Promise.all(clientReasons)) {
      if (setup.name === 'websocket') assert.equal(reason, 'transport close');
      else assert.ok(['transport close', 'transport error'].includes(reason), `client reason: ${reason}`);
    }
    assert.equal(io.of('/').sockets.size, 0);
    assert.equal(io.engine.clientsCount, 0);
    for (const c of clients) assert.equal(c.connected, false);
  });

  test('io.close() also empties the other namespaces, including dynamic children', async () => {
    const { io, url } = await startServer();
    const parent = io.of(/^\/dyn-\d+$/);
    const reasons: string[] = [];
    const all = countdown<string>(3);
    const track = (socket: ServerSocket) =>
      socket.on('disconnect', (r: string) => {
        reasons.push(`${socket.nsp.name}:${r}`);
        all.hit(r);
      });
    io.of('/admin').on('connection', track);
    parent.on('connection', track);
    io.on('connection', track);
    const main = await connectClient(url, { setup });
    const admin = await connectNamespace(main.io, '/admin');
    const dyn = await connectClient(url, { setup, nsp: '/dyn-1' });
    const closed = [main, admin, dyn].map((c) => waitFor(c, 'disconnect'));
    await io.close();
    await all.wait('server-side disconnect');
    await Promise.all(closed);
    assert.deepEqual(
      reasons.sort(),
      ['/:server shutting down', '/admin:server shutting down', '/dyn-1:server shutting down'].sort(),
    );
    assert.equal(io.of('/admin').sockets.size, 0);
    assert.equal(io.of('/dyn-1').sockets.size, 0);
    assert.equal(io.engine.clientsCount, 0);
  });

  test('io.close(callback) calls back and stops the attached HTTP server; new clients cannot connect', async () => {
    const { io, httpServer, url } = await startServer();
    await connectClient(url, { setup });
    await withTimeout(
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
      'io.close callback',
    );
    assert.equal(httpServer.listening, false);
    const late = makeClient(url, { setup });
    const err = await waitFor<Error>(late, 'connect_error');
    assert.ok(err instanceof Error);
    assert.equal(io.engine.clientsCount, 0);
  });

  test('io.close() closes engine sessions that never joined a namespace', async () => {
    // Default connectTimeout (45 s): io.close() must not wait for it, nor leave its timer running.
    const { io, url } = await startServer({ connectTimeout: 45_000 });
    const transports = setup.name === 'websocket' ? ['websocket'] : ['polling'];
    const raw = rawEngineClient(url, { transports, upgrade: setup.upgrades });
    await waitFor(raw, 'open');
    assert.equal(io.engine.clientsCount, 1);
    const closed = waitFor(raw, 'close');
    await io.close();
    await closed;
    assert.equal(io.engine.clientsCount, 0);
  });
});
