/**
 * Interop: connecting official socket.io-client to the server under test — handshake contents (auth, query,
 * headers, address), ids, server-side transport bookkeeping, allowRequest.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { WsClient } from '../support/raw-clients.js';
import {
  cleanup,
  connectClient,
  forEachTransport,
  makeClient,
  startServer,
  waitFor,
  waitUntil,
  whenConnected,
  whenUpgraded,
} from '../support/fixtures.js';

afterEach(cleanup);

forEachTransport((setup) => {
  const initialTransport = setup.name === 'websocket' ? 'websocket' : 'polling';

  test('server sees the auth payload, query, extra headers and peer address in socket.handshake', async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, {
      setup,
      auth: { token: 'secret-1', n: 42 },
      query: { room: 'lobby', flag: '1' },
      extraHeaders: { 'x-parley-test': 'hello' },
    });
    const socket = await connection;
    assert.deepEqual(socket.handshake.auth, { token: 'secret-1', n: 42 });
    assert.equal(socket.handshake.query.room, 'lobby');
    assert.equal(socket.handshake.query.flag, '1');
    assert.equal(socket.handshake.query.EIO, '4');
    assert.equal(socket.handshake.query.transport, initialTransport);
    assert.equal(socket.handshake.headers['x-parley-test'], 'hello');
    assert.equal(socket.handshake.address, '127.0.0.1');
  });

  test('the peer address is known in the disconnect handler, though nothing read it before', async () => {
    const { io, url } = await startServer();
    const connections: ServerSocket[] = [];
    io.on('connection', (s) => connections.push(s));
    const addressOnDisconnect = (socket: ServerSocket): Promise<[string, string]> =>
      new Promise((resolve) => {
        socket.on('disconnect', () => resolve([socket.handshake.address, socket.conn.remoteAddress]));
      });
    // The client leaves.
    const leaving = await connectClient(url, { setup });
    await waitUntil(() => connections.length === 1, 'first connection');
    const left = addressOnDisconnect(connections[0]!);
    leaving.disconnect();
    assert.deepEqual(await left, ['127.0.0.1', '127.0.0.1']);
    // The server closes the connection.
    await connectClient(url, { setup });
    await waitUntil(() => connections.length === 2, 'second connection');
    const cut = addressOnDisconnect(connections[1]!);
    connections[1]!.disconnect(true);
    assert.deepEqual(await cut, ['127.0.0.1', '127.0.0.1']);
  });

  test('auth given as a function is evaluated by the client and delivered to the server', async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup, auth: (cb: (data: object) => void) => cb({ fromFn: true }) });
    assert.deepEqual((await connection).handshake.auth, { fromFn: true });
  });

  test('auth defaults to an empty object when the client sends none', async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    await connectClient(url, { setup });
    assert.deepEqual((await connection).handshake.auth, {});
  });

  test('socket.handshake has the socket.io v4 fields with the right types', async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    const before = Date.now();
    await connectClient(url, { setup, query: { a: 'b' } });
    const { handshake } = await connection;
    assert.equal(typeof handshake.time, 'string');
    assert.ok(!Number.isNaN(Date.parse(handshake.time)), `time is a date string: ${handshake.time}`);
    assert.equal(typeof handshake.issued, 'number');
    assert.ok(
      handshake.issued >= before - 1000 && handshake.issued <= Date.now(),
      'issued is a recent ms timestamp',
    );
    assert.equal(handshake.secure, false);
    assert.equal(typeof handshake.xdomain, 'boolean');
    assert.ok(handshake.url.startsWith('/socket.io/'), `url: ${handshake.url}`);
    assert.match(handshake.url, /[?&]EIO=4(&|$)/);
    assert.match(handshake.url, /[?&]a=b(&|$)/);
    assert.equal(typeof handshake.headers, 'object');
    assert.equal(handshake.headers.host, url.slice('http://'.length));
  });

  test("socket.id equals the client's id and socket.conn.id the engine session id", async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = await connectClient(url, { setup });
    const socket = await connection;
    assert.equal(typeof socket.id, 'string');
    assert.ok(socket.id.length > 0);
    assert.equal(client.id, socket.id);
    // engine.io 6.6 types `conn.id` as private, but it is public at run time (and documented).
    const engineId = (socket.conn as unknown as { id: string }).id;
    assert.equal(engineId, client.io.engine.id);
    // Since socket.io v3 the Socket.IO id is not the engine.io session id.
    assert.notEqual(socket.id, engineId);
    assert.equal(socket.connected, true);
    assert.equal(socket.disconnected, false);
    assert.equal(socket.nsp.name, '/');
    assert.equal(io.of('/').sockets.get(socket.id), socket);
  });

  test("both the namespace 'connection' and its alias 'connect' fire for a new socket", async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    const connect = waitFor<ServerSocket>(io.of('/'), 'connect');
    await connectClient(url, { setup });
    assert.equal(await connect, await connection);
  });

  test('each client gets its own socket and engine session; clientsCount and sockets track them', async () => {
    const { io, url } = await startServer();
    const a = await connectClient(url, { setup });
    const b = await connectClient(url, { setup });
    const c = await connectClient(url, { setup });
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
    assert.equal(io.engine.clientsCount, 3);
    assert.equal(io.of('/').sockets.size, 3);
    assert.deepEqual(new Set(io.of('/').sockets.keys()), new Set([a.id, b.id, c.id]));
  });

  test("server-side socket.conn reports the transport, and 'upgrade' when the client upgrades", async () => {
    const { io, url } = await startServer();
    const connection = waitFor<ServerSocket>(io, 'connection');
    const client = makeClient(url, { setup });
    const clientUpgraded = setup.upgrades ? whenUpgraded(client) : undefined;
    await whenConnected(client);
    const socket = await connection;
    if (setup.upgrades) {
      if (socket.conn.transport.name !== 'websocket') {
        const transport = await waitFor<{ name: string }>(socket.conn, 'upgrade');
        assert.equal(transport.name, 'websocket');
      }
      await clientUpgraded;
    } else {
      assert.equal(socket.conn.transport.name, initialTransport);
    }
    assert.equal(socket.conn.transport.name, setup.finalTransport);
    assert.equal(client.io.engine.transport.name, setup.finalTransport);
  });

  test('allowRequest sees the request and can refuse it: client gets connect_error, no connection', async () => {
    const seen: string[] = [];
    const { io, url } = await startServer({
      allowRequest: (
        req: IncomingMessage,
        callback: (err: string | null | undefined, success: boolean) => void,
      ) => {
        seen.push(String(req.headers['x-let-me-in']));
        callback(null, req.headers['x-let-me-in'] === 'yes');
      },
    });
    let connections = 0;
    io.on('connection', () => connections++);
    const refused = makeClient(url, { setup, extraHeaders: { 'x-let-me-in': 'no' } });
    const err = await waitFor<Error>(refused, 'connect_error');
    assert.ok(err instanceof Error);
    assert.equal(refused.connected, false);
    // The same server admits another client, and only that one reaches 'connection'.
    await connectClient(url, { setup, extraHeaders: { 'x-let-me-in': 'yes' } });
    assert.equal(connections, 1);
    assert.ok(seen.includes('no') && seen.includes('yes'));
  });
});

test('the peer address survives a websocket client that drops its TCP connection without a word', async () => {
  const { io, url } = await startServer();
  const connection = waitFor<ServerSocket>(io, 'connection');
  const { client: raw } = await WsClient.handshake(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  raw.send('40');
  const socket = await connection;
  const address = new Promise<[string, string]>((resolve) => {
    socket.on('disconnect', () => resolve([socket.handshake.address, socket.conn.remoteAddress]));
  });
  // No close frame, no Engine.IO close packet: the server only sees the TCP connection end.
  raw.terminate();
  assert.deepEqual(await address, ['127.0.0.1', '127.0.0.1']);
});
