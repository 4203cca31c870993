/**
 * Cluster: two nodes of the server under test on one redis-server with @socket.io/redis-adapter
 * (classic pub/sub): broadcasts and rooms, fetchSockets, socketsJoin/Leave, disconnectSockets,
 * serverSideEmit with acks and broadcasts with acks across nodes; with parley, plain WebSocket
 * clients on both nodes too. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, afterEach, before, describe, test } from 'node:test';
import { type ConnectOptions, connectClient, serverKind, waitForArgs, waitUntil } from '../support/fixtures.js';
import { WsClient } from '../support/raw-clients.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { clusterScenarios } from './scenarios.js';
import { clusterKey, closeCluster, redisAdapter, startClusteredPair, startNode, startNodeWith, whenClustered } from './support.js';

const msgpack: unknown = createRequire(import.meta.url)('socket.io-msgpack-parser');

let redis: RedisServer | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
afterEach(closeCluster);

describe('redis adapter: two nodes of the server under test', { skip: !redisAvailable() && process.env.CI !== 'true' }, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });
  clusterScenarios('under-test', 'under-test', () => redis!.url);
});

describe('redis adapter: each node writes in its own clients\' format', () => {
  test('a node with a custom parser (msgpack) hands a broadcast from the other node to its clients in msgpack, binary included', async (t) => {
    if (!requireRedis(t)) return;
    const key = clusterKey();
    const a = await startNode('under-test', redis!.url, key);
    const b = await startNodeWith('under-test', await redisAdapter(redis!.url, key), { parser: msgpack as never });
    await whenClustered([a, b]);
    const client = await connectClient(b.url, { transports: ['websocket'], parser: msgpack } as ConnectOptions);
    const args = waitForArgs(client, 'packed');
    a.io.emit('packed', 'text', Buffer.from([9, 8, 7]));
    const [text, bytes] = await args;
    assert.equal(text, 'text');
    assert.deepEqual([...(bytes as Uint8Array)], [9, 8, 7]);
  });
});

describe('redis adapter: payloads that cannot be encoded', () => {
  test('a broadcast that cannot be encoded throws EncodeError on the emitting node, and nothing reaches the other node', async (t) => {
    if (serverKind === 'socket.io') {
      t.skip("parley's EncodeError (socket.io's msgpack encoder overflows the stack instead)");
      return;
    }
    if (!requireRedis(t)) return;
    const [a, b] = await startClusteredPair('parley', 'parley', redis!.url);
    const client = await connectClient(b.url, { transports: ['websocket'] });
    const seen: string[] = [];
    client.onAny((event: string) => seen.push(event));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => a.io.emit('bad', circular), (err: Error) => err.name === 'EncodeError');
    a.io.emit('good');
    await waitUntil(() => seen.length > 0, 'the good event');
    assert.deepEqual(seen, ['good']);
  });
});

describe('redis adapter: plain WebSocket clients on two parley nodes', () => {
  test('a broadcast from either node reaches plain clients on both, and fetchSockets on either lists them', async (t) => {
    if (serverKind === 'socket.io') {
      t.skip('plain WebSocket clients are parley-only');
      return;
    }
    if (!requireRedis(t)) return;
    const [a, b] = await startClusteredPair('parley', 'parley', redis!.url);
    const plainA = new WsClient(a.wsUrl());
    const plainB = new WsClient(b.wsUrl());
    const idA = ((await plainA.nextJson('connect on A')) as { data: { id: string } }).data.id;
    const idB = ((await plainB.nextJson('connect on B')) as { data: { id: string } }).data.id;
    a.io.emit('news', { n: 1 });
    assert.deepEqual(await plainA.nextJson('news on A'), { event: 'news', data: { n: 1 } });
    assert.deepEqual(await plainB.nextJson('news on B'), { event: 'news', data: { n: 1 } });
    b.io.to(idA).emit('direct', 'a', 2);
    assert.deepEqual(await plainA.nextJson('direct on A'), { event: 'direct', args: ['a', 2] });
    for (const node of [a, b]) {
      const ids = (await node.io.fetchSockets()).map((s) => s.id).sort();
      assert.deepEqual(ids, [idA, idB].sort());
    }
    // Binary from the other node: an envelope announcing the attachment, then the bytes.
    b.io.emit('bytes', Buffer.from([1, 2]));
    const envelope = (await plainA.nextJson('the binary envelope')) as { event: string; attachments: number };
    assert.equal(envelope.event, 'bytes');
    assert.equal(envelope.attachments, 1);
    assert.deepEqual([...(await plainA.nextBinary('the attachment'))], [1, 2]);
    b.io.socketsJoin('plain-room');
    await waitUntil(() => a.io.of('/').adapter.rooms.get('plain-room')?.has(idA) === true, 'the plain client on A in the room');
    await plainA.close();
    await plainB.close();
  });
});
