/**
 * Interop: disconnections and their reasons on both sides — server- and client-initiated namespace
 * disconnects, closing the whole connection, transport loss with client reconnection, heartbeat (ping)
 * timeout, and connectTimeout for an engine.io session that never joins a namespace.
 *
 * Reasons are socket.io 4.8's (server) and socket.io-client 4.8's (client).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import {
  cleanup,
  connectClient,
  connectedPair,
  connectNamespace,
  deferred,
  forEachTransport,
  rawEngineClient,
  silenceHeartbeat,
  startServer,
  waitFor,
  waitForArgs,
  withTimeout,
} from '../support/fixtures.js';

afterEach(cleanup);

/** Resolves when the server-side engine session behind `socket` is closed, with its reason. */
function connClosed(socket: ServerSocket): Promise<string> {
  return waitFor<string>(socket.conn, 'close');
}

forEachTransport((setup) => {
  test('server socket.disconnect(): client reason "io server disconnect", server reason "server namespace disconnect"', async () => {
    const { client, socket } = await connectedPair(setup);
    const serverReason = waitFor<string>(socket, 'disconnect');
    const clientReason = waitFor<string>(client, 'disconnect');
    socket.disconnect();
    assert.equal(await serverReason, 'server namespace disconnect');
    assert.equal(await clientReason, 'io server disconnect');
    assert.equal(socket.connected, false);
    assert.equal(socket.disconnected, true);
    assert.equal(client.connected, false);
    // A server-side disconnect is final for the client: it does not try to reconnect.
    assert.equal(client.active, false);
  });

  test('server socket.disconnect() leaves the other namespaces of the connection connected', async () => {
    const { io, client, socket } = await connectedPair(setup);
    const adminConn = waitFor<ServerSocket>(io.of('/admin'), 'connection');
    const adminClient = await connectNamespace(client.io, '/admin');
    const adminSocket = await adminConn;
    const clientReason = waitFor<string>(client, 'disconnect');
    socket.disconnect();
    assert.equal(await clientReason, 'io server disconnect');
    assert.equal(adminClient.connected, true);
    assert.equal(io.engine.clientsCount, 1);
    adminSocket.on('alive', (cb: (v: boolean) => void) => cb(true));
    assert.equal(await adminClient.emitWithAck('alive'), true);
  });

  test('server socket.disconnect(true) closes the whole connection, every namespace included', async () => {
    const { io, client, socket } = await connectedPair(setup);
    const adminConn = waitFor<ServerSocket>(io.of('/admin'), 'connection');
    const adminClient = await connectNamespace(client.io, '/admin');
    const adminSocket = await adminConn;
    const serverReasons = [waitFor<string>(socket, 'disconnect'), waitFor<string>(adminSocket, 'disconnect')];
    const clientReasons = [waitFor<string>(client, 'disconnect'), waitFor<string>(adminClient, 'disconnect')];
    const closed = connClosed(socket);
    socket.disconnect(true);
    assert.deepEqual(await Promise.all(serverReasons), [
      'server namespace disconnect',
      'server namespace disconnect',
    ]);
    await closed;
    // socket.io 4.8 sends a DISCONNECT packet to every namespace before closing the transport.
    assert.deepEqual(await Promise.all(clientReasons), ['io server disconnect', 'io server disconnect']);
    assert.equal(io.engine.clientsCount, 0);
  });

  test('client socket.disconnect(): server reason "client namespace disconnect", client reason "io client disconnect"', async () => {
    const { io, client, socket } = await connectedPair(setup);
    const serverReason = waitFor<string>(socket, 'disconnect');
    const clientReason = waitFor<string>(client, 'disconnect');
    const closed = connClosed(socket);
    client.disconnect();
    assert.equal(await clientReason, 'io client disconnect');
    assert.equal(await serverReason, 'client namespace disconnect');
    // The client's last namespace is gone, so it closes the connection too.
    await closed;
    assert.equal(io.engine.clientsCount, 0);
    assert.equal(io.of('/').sockets.size, 0);
  });

  test('client disconnecting one namespace keeps the shared connection and other namespaces', async () => {
    const { io, client } = await connectedPair(setup);
    const adminConn = waitFor<ServerSocket>(io.of('/admin'), 'connection');
    const adminClient = await connectNamespace(client.io, '/admin');
    const adminSocket = await adminConn;
    const serverReason = waitFor<string>(adminSocket, 'disconnect');
    adminClient.disconnect();
    assert.equal(await serverReason, 'client namespace disconnect');
    assert.equal(io.engine.clientsCount, 1);
    assert.equal(client.connected, true);
    assert.equal(io.of('/admin').sockets.size, 0);
  });

  test('client closing its transport: server reason "transport close"', async () => {
    // A long heartbeat: this test is about the close, not pings. With the fixture's 300 ms one, a
    // heavily loaded machine once saw the client report 'transport error' instead (most likely a
    // pong still draining when close() was called, which engine.io-client then waits for).
    const { client, socket } = await connectedPair(setup, {
      server: { pingInterval: 10_000, pingTimeout: 5_000 },
      client: { upgraded: true },
    });
    const serverReason = waitFor<string>(socket, 'disconnect');
    const clientReason = waitFor<string>(client, 'disconnect');
    client.io.engine.close();
    // (socket.io-client reports its own engine.close() as "forced close"; that is client-side only.)
    assert.equal(await clientReason, 'forced close');
    assert.equal(await serverReason, 'transport close');
  });

  test('server dropping the transport (socket.conn.close()): client reconnects with a new id', async () => {
    const { io, client, socket } = await connectedPair(setup, {
      client: {
        upgraded: true,
        reconnection: true,
        reconnectionDelay: 10,
        reconnectionDelayMax: 50,
        randomizationFactor: 0,
      },
    });
    const firstId = client.id;
    const serverReason = waitFor<string>(socket, 'disconnect');
    const clientReason = waitFor<string>(client, 'disconnect');
    const reconnection = waitFor<ServerSocket>(io, 'connection');
    const reconnected = waitFor(client, 'connect');
    const managerReconnect = waitFor<number>(client.io, 'reconnect');
    socket.conn.close();
    assert.equal(await serverReason, 'forced close');
    assert.equal(await clientReason, 'transport close');
    const second = await reconnection;
    await reconnected;
    assert.equal(await managerReconnect, 1, 'reconnected on the first attempt');
    assert.equal(client.connected, true);
    assert.notEqual(client.id, firstId);
    assert.equal(second.id, client.id);
    assert.equal(io.of('/').sockets.size, 1);
    assert.equal(io.of('/').sockets.has(firstId ?? ''), false);
  });

  test('a client that stops answering pings is disconnected with reason "ping timeout"', async () => {
    // Heartbeat: pingInterval 300 + pingTimeout 200 (fixture defaults).
    const beforePair = Date.now();
    const { client, socket } = await connectedPair(setup, { client: { upgraded: true } });
    const serverReason = waitFor<string>(socket, 'disconnect');
    const clientReason = waitFor<string>(client, 'disconnect');
    // The last ping this client answered (or, if none, a time before the session existed): the
    // server can time out only pingInterval + pingTimeout after it, less a network hop.
    let lastAnswered = beforePair;
    client.io.engine.on('ping', () => {
      lastAnswered = Date.now();
    });
    silenceHeartbeat(client);
    assert.equal(await serverReason, 'ping timeout');
    const elapsed = Date.now() - lastAnswered;
    assert.ok(elapsed >= 300 + 200 - 20, `timed out ${elapsed} ms after the last answered ping`);
    // The server closes the transport; the client sees it close.
    assert.equal(await clientReason, 'transport close');
  });

  test('heartbeats keep an idle connection alive across several ping intervals', async () => {
    const { client, socket } = await connectedPair(setup, { client: { upgraded: true } });
    let pings = 0;
    const threePings = deferred();
    client.io.on('ping', () => {
      if (++pings === 3) threePings.resolve();
    });
    await withTimeout(threePings.promise, '3 server pings');
    assert.equal(socket.connected, true);
    assert.equal(client.connected, true);
  });

  test('io.connectTimeout() reads the option; io.connectTimeout(ms) sets it for sessions opened from then on', async () => {
    const { io, url } = await startServer({ connectTimeout: 60_000 });
    assert.equal(io.connectTimeout(), 60_000);
    const transports = setup.name === 'websocket' ? ['websocket'] : ['polling'];
    // Opened under 60 s: it keeps that deadline when the timeout changes.
    const early = rawEngineClient(url, { transports, upgrade: setup.upgrades });
    let earlyClosed = false;
    early.on('close', () => {
      earlyClosed = true;
    });
    await waitFor(early, 'open');
    assert.equal(io.connectTimeout(200), io);
    assert.equal(io.connectTimeout(), 200);
    const beforeOpen = Date.now();
    const late = rawEngineClient(url, { transports, upgrade: setup.upgrades });
    const lateClosed = waitForArgs(late, 'close');
    await waitFor(late, 'open');
    await lateClosed;
    const elapsed = Date.now() - beforeOpen;
    assert.ok(elapsed >= 200 - 2, `closed after ${elapsed} ms, before the new connectTimeout`);
    assert.equal(earlyClosed, false, 'the session opened before the change keeps its 60 s');
    assert.equal(io.engine.clientsCount, 1);
    early.close();
  });

  test('an engine.io session that never connects to a namespace is closed after connectTimeout', async () => {
    const { io, url } = await startServer({ connectTimeout: 300 });
    // A regular client on the same server is unaffected by the timeout.
    const regular = await connectClient(url, { setup });
    const transports = setup.name === 'websocket' ? ['websocket'] : ['polling'];
    // Timed from before the session exists: its connectTimeout cannot end sooner after that.
    const beforeOpen = Date.now();
    const raw = rawEngineClient(url, { transports, upgrade: setup.upgrades });
    const opened = waitFor(raw, 'open');
    const closed = waitForArgs(raw, 'close');
    await opened;
    assert.equal(io.engine.clientsCount, 2);
    await closed;
    const elapsed = Date.now() - beforeOpen;
    assert.ok(elapsed >= 300 - 2, `closed after ${elapsed} ms, before connectTimeout`);
    assert.equal(io.engine.clientsCount, 1);
    assert.equal(regular.connected, true);
    const socket = io.of('/').sockets.get(regular.id ?? '');
    socket?.on('still', (cb: (v: number) => void) => cb(1));
    assert.equal(await regular.emitWithAck('still'), 1);
  });
});
