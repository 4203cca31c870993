/**
 * Cluster: @socket.io/redis-streams-adapter with connection state recovery: a client whose
 * connection drops on one node and that reconnects to the other gets its session back there (same
 * socket id, rooms, data) with the events broadcast meanwhile; nodes of the server under test, and
 * the server under test beside socket.io 4.8 both ways. Run against parley and, with
 * PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Socket as ServerSocket } from 'socket.io';
import { type ClientSocket, connectClient, waitFor, whenConnected } from '../support/fixtures.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { type ClusterNode, clusterKey, closeCluster, type NodeKind, redisClient, startNodeWith, whenClustered } from './support.js';

let redis: RedisServer | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
afterEach(closeCluster);

async function streamsNode(kind: NodeKind, key: string): Promise<ClusterNode> {
  const client = await redisClient(redis!.url);
  const adapter = createAdapter(client, {
    streamName: `${key}-stream`,
    channelPrefix: key,
    sessionKeyPrefix: `${key}-session:`,
    blockTimeInMs: 100,
    heartbeatInterval: 200,
    heartbeatTimeout: 2000,
  });
  return startNodeWith(kind, adapter, { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } });
}

function lastOffset(client: ClientSocket): unknown {
  return (client as unknown as { _lastOffset?: unknown })._lastOffset;
}

function recoveryAcross(first: NodeKind, second: NodeKind): void {
  test(`${first} -> ${second}: a client dropped on the first node recovers its session on the second, with the events it missed`, async (t) => {
    if (!requireRedis(t)) return;
    const key = clusterKey();
    const a = await streamsNode(first, key);
    const b = await streamsNode(second, key);
    await whenClustered([a, b]);
    const connected = waitFor<ServerSocket>(a.io, 'connection');
    const client = await connectClient(a.url, { transports: ['websocket'] });
    const socket = await connected;
    socket.join('room');
    socket.data = { name: 'alice' };
    const welcomed = waitFor(client, 'welcome');
    a.io.emit('welcome');
    await welcomed;
    assert.equal(typeof lastOffset(client), 'string');
    const gone = waitFor(socket, 'disconnect');
    client.io.engine.close();
    await gone;
    // Sent while the client is away: from the node it left and from the one it comes back to.
    a.io.to('room').emit('missed', 1);
    b.io.emit('missed', 2);
    const missed: unknown[] = [];
    client.on('missed', (n: unknown) => missed.push(n));
    // The client's manager reconnects to the other node (a load balancer's choice).
    (client.io as unknown as { uri: string }).uri = b.url;
    const back = waitFor<ServerSocket>(b.io, 'connection');
    client.connect();
    await whenConnected(client);
    const restored = await back;
    assert.equal(client.recovered, true);
    assert.equal(restored.recovered, true);
    assert.equal(restored.id, socket.id);
    assert.ok(restored.rooms.has('room'));
    assert.deepEqual(restored.data, { name: 'alice' });
    const after = waitFor(client, 'after');
    b.io.to('room').emit('after');
    await after;
    assert.deepEqual(missed.sort(), [1, 2]);
  });
}

describe('redis streams adapter: connection state recovery across nodes', { skip: !redisAvailable() && process.env.CI !== 'true' }, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });
  recoveryAcross('under-test', 'under-test');
  recoveryAcross('under-test', 'socket.io');
  recoveryAcross('socket.io', 'under-test');
});
