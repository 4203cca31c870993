/**
 * Interop: no message is lost, duplicated or reordered while a steady stream flows — in particular across
 * the polling→websocket upgrade, which happens while the stream is running (it starts right on
 * connection). Each direction is tested, plus acknowledgements in flight during the upgrade.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ClientSocket } from '../support/fixtures.js';
import {
  cleanup,
  deferred,
  forEachTransport,
  makeClient,
  startServer,
  startUpgrade,
  waitFor,
  waitUntil,
  whenConnected,
  withTimeout,
} from '../support/fixtures.js';

afterEach(cleanup);

const N = 2000;
/** In the upgrade setup a stream goes on past N until this many events went out after the upgrade. */
const AFTER_UPGRADE = 200;
/** Absolute bound, only reached when the upgrade never completes (which fails the test anyway). */
const MAX = 100_000;
const STREAM_GUARD_MS = 15_000;
/**
 * Server and clients share one busy event loop here; the fixture's 300/200 ms heartbeat could then
 * expire under CPU contention, which is not what these tests are about.
 */
const HEARTBEAT = { pingInterval: 2_000, pingTimeout: 5_000 };

/** Rejects as soon as the client disconnects, so a dropped connection fails fast with its reason. */
function failOnDisconnect(client: ClientSocket): Promise<never> {
  return new Promise((_, reject) => {
    client.on('disconnect', (reason) => reject(new Error(`client disconnected mid-stream: ${reason}`)));
  });
}

/**
 * Calls `emit(i)` for i = 0, 1, 2, ... one per event-loop turn (setImmediate), starting now, while
 * `more(i)` holds (checked before each call after the first); then calls `end(count)`.
 */
function pump(
  emit: (i: number) => void,
  more: (i: number) => boolean,
  end: (count: number) => void = () => {},
): void {
  let i = 0;
  const step = () => {
    emit(i++);
    if (more(i)) setImmediate(step);
    else end(i);
  };
  step();
}

/**
 * A predicate for `pump`: N events, and in the upgrade setup at least AFTER_UPGRADE more once
 * `upgraded()` (the sender has switched to websocket).
 */
function streamLength(upgrades: boolean, upgraded: () => boolean) {
  let afterUpgrade = 0;
  return (i: number): boolean => {
    if (upgraded()) afterUpgrade++;
    if (i >= MAX) return false;
    return i < N || (upgrades && afterUpgrade < AFTER_UPGRADE);
  };
}

function assertSequence(received: readonly number[], count: number): void {
  assert.equal(received.length, count, `received ${received.length} of ${count}`);
  for (let i = 0; i < count; i++) {
    if (received[i] !== i) assert.fail(`position ${i}: expected ${i}, got ${received[i]} (gap/dup/reorder)`);
  }
}

forEachTransport((setup) => {
  test(`server → client: a stream of ${N}+ events from the moment of connection arrives complete and in order`, async () => {
    const { io, url } = await startServer(HEARTBEAT);
    const serverTransports = new Set<string>();
    io.on('connection', (socket) => {
      pump(
        (i) => {
          serverTransports.add(socket.conn.transport.name);
          socket.emit('n', i);
        },
        streamLength(setup.upgrades, () => socket.conn.transport.name === 'websocket'),
        (count) => socket.emit('end', count),
      );
    });
    const client = makeClient(url, { setup });
    const received: number[] = [];
    client.on('n', (i: number) => received.push(i));
    const end = waitFor<number>(client, 'end', STREAM_GUARD_MS);
    const dropped = failOnDisconnect(client);
    await whenConnected(client);
    const count = await Promise.race([end, dropped]);
    assert.ok(count >= N && count <= MAX);
    assertSequence(received, count);
    assert.equal(client.io.engine.transport.name, setup.finalTransport);
    // In the upgrade setup the server emitted both before and after switching transports.
    const expected = setup.upgrades ? ['polling', 'websocket'] : [setup.finalTransport];
    assert.deepEqual([...serverTransports].sort(), expected);
  });

  test(`client → server: a stream of ${N}+ events from the moment of connection arrives complete and in order`, async () => {
    const { io, url } = await startServer(HEARTBEAT);
    const received: number[] = [];
    const end = deferred<number>();
    const serverTransports = new Set<string>();
    io.on('connection', (socket) => {
      socket.on('n', (i: number) => {
        serverTransports.add(socket.conn.transport.name);
        received.push(i);
      });
      socket.on('end', (count: number) => end.resolve(count));
    });
    // On loopback the client's own upgrade finishes before 'connect'; in the upgrade setup the client
    // starts on polling without upgrading and the upgrade is started in the middle of the stream.
    const client = makeClient(url, { setup, ...(setup.upgrades ? { upgrade: false } : {}) });
    let upgrade: Promise<void> | undefined;
    let clientUpgraded = false;
    client.on('connect', () =>
      pump(
        (i) => {
          client.emit('n', i);
          if (setup.upgrades && i === 200) {
            upgrade = startUpgrade(client).then(() => {
              clientUpgraded = true;
            });
          }
        },
        streamLength(setup.upgrades, () => clientUpgraded),
        (count) => client.emit('end', count),
      ),
    );
    const dropped = failOnDisconnect(client);
    await whenConnected(client);
    const count = await withTimeout(
      Promise.race([end.promise, dropped]),
      "the client's 'end' event",
      STREAM_GUARD_MS,
    );
    await upgrade;
    assert.ok(count >= N && count <= MAX);
    assertSequence(received, count);
    // In the upgrade setup the server received part of the stream over each transport. (Events the client
    // emits while the upgrade is in progress are buffered by the client and go out over websocket.)
    const expected = setup.upgrades ? ['polling', 'websocket'] : [setup.finalTransport];
    assert.deepEqual([...serverTransports].sort(), expected);
  });

  test('both directions at once, with acknowledgements in flight, lose nothing', async () => {
    const COUNT = 500;
    const { io, url } = await startServer(HEARTBEAT);
    const fromClient: number[] = [];
    const serverAcks: number[] = [];
    const serverDone = deferred();
    io.on('connection', (socket) => {
      socket.on('c', (i: number, cb: (v: number) => void) => {
        fromClient.push(i);
        cb(i * 2);
      });
      pump(
        (i) =>
          socket.emit('s', i, (v: number) => {
            serverAcks.push(v);
            if (serverAcks.length === COUNT) serverDone.resolve();
          }),
        (i) => i < COUNT,
      );
    });
    const client = makeClient(url, { setup });
    const fromServer: number[] = [];
    client.on('s', (i: number, cb: (v: number) => void) => {
      fromServer.push(i);
      cb(i + 1);
    });
    const clientAcks: Array<Promise<unknown>> = [];
    client.on('connect', () =>
      pump(
        (i) => clientAcks.push(client.emitWithAck('c', i)),
        (i) => i < COUNT,
      ),
    );
    const dropped = failOnDisconnect(client);
    await whenConnected(client);
    await withTimeout(
      Promise.race([serverDone.promise, dropped]),
      `${COUNT} acks from the client`,
      STREAM_GUARD_MS,
    );
    await waitUntil(() => clientAcks.length >= COUNT, 'the client pump has emitted every event');
    const answers = await withTimeout(
      Promise.all(clientAcks),
      `${COUNT} acks from the server`,
      STREAM_GUARD_MS,
    );
    assert.deepEqual(
      answers,
      Array.from({ length: COUNT }, (_, i) => i * 2),
    );
    assertSequence(fromClient, COUNT);
    assertSequence(fromServer, COUNT);
    // Acks come back in the order the client answered, i.e. in order.
    assert.deepEqual(
      serverAcks,
      Array.from({ length: COUNT }, (_, i) => i + 1),
    );
  });
});
