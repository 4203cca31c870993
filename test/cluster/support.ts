/**
 * Cluster fixtures: server nodes on one Redis with @socket.io/redis-adapter, each node the server
 * under test (parley, or socket.io with PARLEY_TEST_AGAINST=socket.io), parley itself (plain
 * WebSocket clients accepted) or the official socket.io 4.8. Each test gets its own channel prefix,
 * so tests sharing a file's redis-server never hear each other.
 */
import { createServer } from 'node:http';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { createClient, createCluster } from 'redis';
import { Server as SocketIOServer } from 'socket.io';
import type { Server as ParleyServer } from '../../src/index.js';
import { cleanup, startServer } from '../support/fixtures.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import type { Server, ServerOptions } from '../support/server-under-test.js';
import { PARLEY } from '../support/servers.js';
import { withTimeout } from '../support/waiting.js';

export type NodeKind = 'under-test' | 'parley' | 'socket.io';

export interface ClusterNode {
  readonly kind: NodeKind;
  /** Typed as socket.io: parley promises socket.io's API (a parley node is a parley Server). */
  readonly io: Server;
  readonly url: string;
  /** `ws://` URL of a plain WebSocket client (parley nodes only). */
  wsUrl(query?: Record<string, string>): string;
}

type RedisClient = ReturnType<typeof createClient>;

const redisClients: RedisClient[] = [];
const officialNodes: { io: SocketIOServer; http: ReturnType<typeof createServer> }[] = [];
let prefixes = 0;

/** A fresh channel prefix for one test's nodes. */
export function clusterKey(): string {
  prefixes++;
  return `t${process.pid}-${prefixes}`;
}

/** A connected Redis client, quit by `closeCluster`. */
export async function redisClient(url: string): Promise<RedisClient> {
  const client = createClient({ url });
  // Errors (a redis-server stopping at the end of the file) are reported by the client's promises.
  client.on('error', () => {});
  await client.connect();
  redisClients.push(client);
  return client;
}

/**
 * Which of @socket.io/redis-adapter's adapters: classic pub/sub, or sharded pub/sub (Redis 7) on
 * one redis-server or on a Redis Cluster (`url` one of its nodes).
 */
export type RedisFlavor = 'classic' | 'sharded' | 'sharded-cluster';

type RedisClusterClient = ReturnType<typeof createCluster>;
const clusterClients: RedisClusterClient[] = [];

/** A connected Redis Cluster client, found from one node, quit by `closeCluster`. */
async function redisClusterClient(url: string): Promise<RedisClusterClient> {
  const client = createCluster({ rootNodes: [{ url }] });
  client.on('error', () => {});
  await client.connect();
  clusterClients.push(client);
  return client;
}

/**
 * With a sharded adapter: resolves once some node subscribes to `room`'s own channel (the default
 * "dynamic" mode subscribes when a socket joins, which on a Redis Cluster may first connect to
 * the master owning that channel's slot), so a broadcast to the room sent now reaches it. At once
 * for the classic adapter, which has one channel for all rooms.
 */
export async function whenRoomSubscribed(url: string, flavor: RedisFlavor, key: string, room: string): Promise<void> {
  if (flavor === 'classic') return;
  const channel = `${key}#/#${room}#`;
  const ask: () => Promise<unknown> =
    flavor === 'sharded-cluster'
      ? await redisClusterClient(url).then((c) => () => c.sendCommand(channel, true, ['PUBSUB', 'SHARDNUMSUB', channel]))
      : await redisClient(url).then((c) => () => c.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel]));
  await withTimeout(
    (async () => {
      // The answer is [channel, subscribers].
      while (Number(((await ask()) as unknown[])[1]) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    `a subscriber of ${channel}`,
  );
}

/** A Redis adapter factory on channel prefix `key`, with its own two clients. */
export async function redisAdapter(url: string, key: string, flavor: RedisFlavor = 'classic'): Promise<AdapterFactory> {
  if (flavor === 'sharded-cluster') {
    return createShardedAdapter(await redisClusterClient(url), await redisClusterClient(url), { channelPrefix: key });
  }
  const pub = await redisClient(url);
  const sub = await redisClient(url);
  if (flavor === 'sharded') return createShardedAdapter(pub, sub, { channelPrefix: key });
  return createAdapter(pub, sub, { key, requestsTimeout: 2000 });
}

/** Starts a node of `kind` on 127.0.0.1 with the Redis adapter on channel prefix `key`. */
export async function startNode(kind: NodeKind, redisUrl: string, key: string, flavor: RedisFlavor = 'classic'): Promise<ClusterNode> {
  return startNodeWith(kind, await redisAdapter(redisUrl, key, flavor));
}

/** An adapter factory as socket.io's adapter packages return it (`createAdapter(...)`). */
// biome-ignore lint/suspicious/noExplicitAny: socket.io types the factory's namespace as any
export type AdapterFactory = (nsp: any) => unknown;

/** Starts a node of `kind` on 127.0.0.1 with the given adapter. */
export async function startNodeWith(kind: NodeKind, factory: AdapterFactory, options: Partial<ServerOptions> = {}): Promise<ClusterNode> {
  const adapter = factory as never;
  if (kind === 'socket.io') {
    const http = createServer();
    const io = new SocketIOServer(http, { pingInterval: 300, pingTimeout: 200, ...options, adapter });
    officialNodes.push({ io, http });
    const port = await listenOnLoopback(http);
    return {
      kind,
      io: io as unknown as Server,
      url: `http://127.0.0.1:${port}`,
      wsUrl: () => {
        throw new Error('socket.io has no plain WebSocket clients');
      },
    };
  }
  if (kind === 'parley') {
    const started = await startServer({ ...(options as object), adapter }, PARLEY);
    return { kind, io: started.io as unknown as Server, url: started.url, wsUrl: started.wsUrl };
  }
  // As socket.io's docs plug an adapter: io.adapter(createAdapter(...)) once the server exists.
  const started = await startServer(options);
  started.io.adapter(adapter);
  return { kind, io: started.io, url: started.url, wsUrl: started.wsUrl };
}

/** Resolves once every node's adapter counts `count` servers (their subscriptions are in place). */
export async function whenClustered(nodes: readonly ClusterNode[], count = nodes.length): Promise<void> {
  await withTimeout(
    (async () => {
      for (;;) {
        const counts = await Promise.all(
          nodes.map((node) => (node.io.of('/').adapter as unknown as { serverCount(): Promise<number> }).serverCount()),
        );
        if (counts.every((c) => c >= count)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    `${count} servers on the cluster`,
  );
}

/** Two nodes of `first` and `second` kind on one Redis (a fresh key), once each sees the other. */
export async function startClusteredPair(
  first: NodeKind,
  second: NodeKind,
  redisUrl: string,
): Promise<[ClusterNode, ClusterNode]> {
  const key = clusterKey();
  const pair: [ClusterNode, ClusterNode] = [await startNode(first, redisUrl, key), await startNode(second, redisUrl, key)];
  await whenClustered(pair);
  return pair;
}

/** For afterEach: closes the clients and nodes of the test, then its Redis clients. */
export async function closeCluster(): Promise<void> {
  await cleanup();
  for (const { io, http } of officialNodes.splice(0)) {
    io.close();
    await closeHttp(http).catch(() => {});
  }
  for (const client of redisClients.splice(0)) await client.quit().catch(() => {});
  for (const client of clusterClients.splice(0)) await client.quit().catch(() => {});
}

export type { ParleyServer };
