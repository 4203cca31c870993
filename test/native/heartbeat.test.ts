/**
 * Heartbeat of plain WebSocket clients: the server sends WebSocket ping control frames every
 * pingInterval; a client whose pong does not come back within pingTimeout is disconnected with
 * "ping timeout". Live clients (every WebSocket library answers pings by itself) stay connected.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { withTimeout } from '../support/waiting.js';
import type { WsClient } from '../support/raw-clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, disconnectReason, serverSocket } from './support.js';

afterEach(cleanup);

/** Resolves once the client has received `count` ping frames. */
function pings(peer: WsClient, count: number): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      let seen = 0;
      const onPing = () => {
        if (++seen < count) return;
        peer.ws.off('ping', onPing);
        resolve();
      };
      peer.ws.on('ping', onPing);
    }),
    `${count} pings`,
  );
}

test('a client that does not answer pings is disconnected with "ping timeout"', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server, {}, { autoPong: false });
  const socket = serverSocket(server.io, id);
  const reason = disconnectReason(socket);
  const pinged = pings(peer, 1);

  assert.equal(await reason, 'ping timeout');
  await pinged;
  // The server drops the connection without a closing handshake.
  assert.equal((await peer.closed).code, 1006);
  assert.equal(server.io.plain?.clientsCount, 0);
});

test('a normal client stays connected across several ping intervals', async () => {
  const server = await startServer({}, PARLEY);
  let disconnected = false;
  server.io.on('connection', (socket: Socket) => {
    socket.on('disconnect', () => {
      disconnected = true;
    });
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  const { peer, id } = await connectPlain(server);

  // Five pings at 200 ms: a dead client would have been dropped by the second.
  await pings(peer, 5);
  assert.equal(disconnected, false);
  assert.ok(serverSocket(server.io, id).connected);
  peer.sendJson({ event: 'echo', data: 'alive', id: 1 });
  assert.deepEqual(await peer.nextJson(), { ack: 1, data: 'alive' });
});

test('one dead client among live ones: only it is dropped by the shared sweep', async () => {
  const server = await startServer({}, PARLEY);
  const live = [await connectPlain(server), await connectPlain(server)];
  const sio = await connectSio(server);
  const dead = await connectPlain(server, {}, { autoPong: false });
  const liveReasons = live.map(({ id }) => {
    let reason: string | undefined;
    serverSocket(server.io, id).once('disconnect', (r: string) => {
      reason = r;
    });
    return () => reason;
  });

  assert.equal(await disconnectReason(serverSocket(server.io, dead.id)), 'ping timeout');
  // Two more rounds of pings for the live ones, then they are all still there.
  await Promise.all(live.map(({ peer }) => pings(peer, 2)));
  assert.deepEqual(
    liveReasons.map((get) => get()),
    [undefined, undefined],
  );
  assert.equal(server.io.plain?.clientsCount, 2);
  assert.ok(sio.connected);
});

test('a client that stops answering later is dropped then', async () => {
  const server = await startServer({}, PARLEY);
  const { peer, id } = await connectPlain(server, {}, { autoPong: false });
  const reason = disconnectReason(serverSocket(server.io, id));
  // Answer the first three pings by hand, then go silent.
  let answered = 0;
  peer.ws.on('ping', (data: Buffer) => {
    if (answered++ < 3) peer.ws.pong(data);
  });
  assert.equal(await reason, 'ping timeout');
  assert.ok(answered >= 4, `dropped after ${answered} pings`);
});

test('plainWebSocket.pingInterval / pingTimeout override the Engine.IO heartbeat for plain clients', async () => {
  const server = await startServer({
    pingInterval: 20_000,
    pingTimeout: 20_000,
    plainWebSocket: { pingInterval: 100, pingTimeout: 100 },
  }, PARLEY);
  const { peer, id } = await connectPlain(server, {}, { autoPong: false });
  const reason = disconnectReason(serverSocket(server.io, id));
  const started = Date.now();
  await pings(peer, 1);
  assert.equal(await reason, 'ping timeout');
  assert.ok(Date.now() - started < 2000, 'the plain heartbeat was not used');
  assert.equal(server.io.plain?.options.pingInterval, 100);
});

test('the plain heartbeat defaults to the Engine.IO pingInterval and pingTimeout', async () => {
  const server = await startServer({ pingInterval: 150, pingTimeout: 250 }, PARLEY);
  assert.equal(server.io.plain?.options.pingInterval, 150);
  assert.equal(server.io.plain?.options.pingTimeout, 250);
  const { peer } = await connectPlain(server);
  await pings(peer, 2);
});

test('a slow client whose pongs take less than pingTimeout stays, even when pingTimeout > pingInterval', async () => {
  const server = await startServer({ plainWebSocket: { pingInterval: 100, pingTimeout: 300 } }, PARLEY);
  const { peer, id } = await connectPlain(server, {}, { autoPong: false });
  let disconnected: string | undefined;
  serverSocket(server.io, id).once('disconnect', (reason: string) => {
    disconnected = reason;
  });
  // Every pong leaves 150 ms after its ping: well within pingTimeout, but later than the next ping.
  const timers = new Set<NodeJS.Timeout>();
  peer.ws.on('ping', (data: Buffer) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (peer.ws.readyState === peer.ws.OPEN) peer.ws.pong(data);
    }, 150);
    timers.add(timer);
  });
  try {
    await pings(peer, 8);
    assert.equal(disconnected, undefined);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
});
