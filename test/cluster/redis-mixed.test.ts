/**
 * Mixed cluster: a node of the server under test beside an official socket.io 4.8 node on one
 * redis-server (@socket.io/redis-adapter), every cross-node case both ways; and
 * @socket.io/redis-emitter from outside reaching clients on both. This is how a team moves a
 * socket.io cluster to parley one node at a time. Run against parley and, with
 * PARLEY_TEST_AGAINST=socket.io, socket.io (then both nodes are socket.io).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Emitter } from '@socket.io/redis-emitter';
import type { Socket as ServerSocket } from 'socket.io';
import { connectClient, serverKind, waitFor } from '../support/fixtures.js';
import { WsClient } from '../support/raw-clients.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { clusterScenarios } from './scenarios.js';
import { clusterKey, closeCluster, redisClient, startClusteredPair, startNode, whenClustered } from './support.js';

let redis: RedisServer | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
afterEach(closeCluster);

const skip = !redisAvailable() && process.env.CI !== 'true';

describe('mixed cluster: the server under test beside socket.io 4.8', { skip }, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });
  clusterScenarios('under-test', 'socket.io', () => redis!.url);
  clusterScenarios('socket.io', 'under-test', () => redis!.url);
});

describe('mixed cluster: plain WebSocket clients on the parley node', { skip }, () => {
  test('a socket.io node reaches them with broadcasts and remote emits, and its fetchSockets lists them', async (t) => {
    if (serverKind === 'socket.io') {
      t.skip('plain WebSocket clients are parley-only');
      return;
    }
    if (!requireRedis(t)) return;
    const [a, b] = await startClusteredPair('parley', 'socket.io', redis!.url);
    const plain = new WsClient(a.wsUrl({ name: 'carol' }));
    const id = ((await plain.nextJson('connect')) as { data: { id: string } }).data.id;
    b.io.emit('news', { from: 'socket.io' });
    assert.deepEqual(await plain.nextJson('the broadcast'), { event: 'news', data: { from: 'socket.io' } });
    const found = await b.io.fetchSockets();
    assert.deepEqual(found.map((s) => s.id), [id]);
    assert.deepEqual(found[0]?.handshake.auth, { name: 'carol' });
    found[0]?.emit('direct', 1, 2);
    assert.deepEqual(await plain.nextJson('the remote emit'), { event: 'direct', args: [1, 2] });
    await plain.close();
  });
});

describe('@socket.io/redis-emitter from outside the cluster', { skip }, () => {
  test('emit and to(room).emit reach clients on the node under test and on the socket.io node', async (t) => {
    if (!requireRedis(t)) return;
    const key = clusterKey();
    const a = await startNode('under-test', redis!.url, key);
    const b = await startNode('socket.io', redis!.url, key);
    await whenClustered([a, b]);
    const joinedB = waitFor<ServerSocket>(b.io, 'connection');
    const clientA = await connectClient(a.url, { transports: ['websocket'] });
    const clientB = await connectClient(b.url, { transports: ['websocket'] });
    (await joinedB).join('room');
    const emitter = new Emitter(await redisClient(redis!.url), { key });
    const gotA = waitFor(clientA, 'from-outside');
    const gotB = waitFor(clientB, 'from-outside');
    emitter.emit('from-outside', { n: 1 });
    assert.deepEqual(await gotA, { n: 1 });
    assert.deepEqual(await gotB, { n: 1 });
    const roomA: unknown[] = [];
    clientA.on('room-only', (v: unknown) => roomA.push(v));
    const roomB = waitFor(clientB, 'room-only');
    emitter.to('room').emit('room-only', 'b');
    assert.equal(await roomB, 'b');
    const lastA = waitFor(clientA, 'last');
    emitter.emit('last');
    await lastA;
    assert.deepEqual(roomA, []);
  });

  test('a plain WebSocket client on a parley node gets what the emitter sends', async (t) => {
    if (serverKind === 'socket.io') {
      t.skip('plain WebSocket clients are parley-only');
      return;
    }
    if (!requireRedis(t)) return;
    const key = clusterKey();
    const a = await startNode('parley', redis!.url, key);
    const plain = new WsClient(a.wsUrl());
    await plain.nextJson('connect');
    const emitter = new Emitter(await redisClient(redis!.url), { key });
    emitter.emit('from-outside', 'hi', 2);
    assert.deepEqual(await plain.nextJson('the event'), { event: 'from-outside', args: ['hi', 2] });
    await plain.close();
  });
});
