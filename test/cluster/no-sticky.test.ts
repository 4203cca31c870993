/**
 * No sticky sessions: three parley nodes with `forward` on, one Redis (@socket.io/redis-adapter)
 * between them, behind a round-robin TCP proxy (test/support/proxy.ts: each new TCP connection
 * goes to the next node). Each node answers with `Connection: close` (maxRequestsPerSocket = 1), so
 * every HTTP request of the official client is a new connection and lands on the next node: a
 * request for a session of another node must be forwarded to its owner, or it would get 400
 * "Session ID unknown".
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import { type Socket as ClientSocket, io as connectIo } from 'socket.io-client';
import { HOP_HEADER } from '../../src/engine/index.js';
import { Server } from '../../src/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { WsClient } from '../support/raw-clients.js';
import { type RoundRobinProxy, startProxy } from '../support/proxy.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { waitUntil, withTimeout } from '../support/waiting.js';
import { closeCluster, clusterKey, redisAdapter } from './support.js';

interface Node {
  readonly id: string;
  readonly io: Server;
  readonly http: HttpServer;
  readonly port: number;
  /** HTTP requests under the engine's path this node received, and how many came forwarded. */
  requests: number;
  forwarded: number;
  /** Answers of status 400 this node sent. */
  refusals: number;
  /** WebSocket upgrades this node received forwarded by another node. */
  forwardedUpgrades: number;
}

let redis: RedisServer | undefined;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const nodes: Node[] = [];
const proxies: RoundRobinProxy[] = [];
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const node of nodes.splice(0)) {
    node.io.close();
    await closeHttp(node.http).catch(() => {});
  }
  await closeCluster();
});

/** Three nodes sharing a peer list (filled as they listen) and a Redis channel prefix. */
async function startNodes(count = 3, maxConcurrent?: number, lookups?: string[]): Promise<Node[]> {
  const key = clusterKey();
  const peers: Record<string, string> = {};
  // With `lookups`: the peer list answers later (a directory lookup), and records what it was asked.
  const lookup = (id: string): Promise<string | undefined> =>
    new Promise((resolve) =>
      setImmediate(() => {
        lookups?.push(id);
        resolve(Object.hasOwn(peers, id) ? peers[id] : undefined);
      }),
    );
  for (let i = 0; i < count; i++) {
    const id = `n${i}`;
    const http = createServer();
    // Every answer closes its connection: the next request is a new TCP connection through the proxy.
    http.maxRequestsPerSocket = 1;
    const io = new Server(http, {
      pingInterval: 2000,
      pingTimeout: 2000,
      forward: { nodeId: id, peers: lookups === undefined ? peers : lookup, maxConcurrent },
    });
    io.adapter((await redisAdapter(redis!.url, key)) as never);
    const port = await listenOnLoopback(http);
    peers[id] = `127.0.0.1:${port}`;
    const node: Node = { id, io, http, port, requests: 0, forwarded: 0, refusals: 0, forwardedUpgrades: 0 };
    http.on('upgrade', (req) => {
      if (req.headers[HOP_HEADER] !== undefined) node.forwardedUpgrades++;
    });
    http.on('request', (req, res) => {
      if (!req.url?.startsWith('/socket.io/')) return;
      node.requests++;
      if (req.headers[HOP_HEADER] !== undefined) node.forwarded++;
      res.on('finish', () => {
        if (res.statusCode === 400) node.refusals++;
      });
    });
    io.on('connection', (socket) => {
      socket.on('echo', (value: unknown, ack: (reply: unknown) => void) => ack({ value, node: id }));
      socket.on('join', (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
    });
    nodes.push(node);
  }
  await withTimeout(
    (async () => {
      for (;;) {
        const counts = await Promise.all(
          nodes.map((n) =>
            (n.io.of('/').adapter as unknown as { serverCount(): Promise<number> }).serverCount(),
          ),
        );
        if (counts.every((c) => c >= count)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    `${count} nodes on Redis`,
  );
  return nodes;
}

/**
 * A round-robin proxy in front of `targets` (or one sending the n-th connection to `pick(n)`);
 * resolves with its port.
 */
async function roundRobin(targets: readonly Node[], pick?: (n: number) => Node): Promise<number> {
  const proxy = await startProxy(targets, pick === undefined ? {} : { pick });
  proxies.push(proxy);
  return proxy.port;
}

function connectThrough(port: number, transports: ('polling' | 'websocket')[]): ClientSocket {
  const client = connectIo(`http://127.0.0.1:${port}`, { transports, reconnection: false, forceNew: true });
  clients.push(client);
  return client;
}

function connected(client: ClientSocket): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    }),
    'connect',
  );
}

/** Resolves once `client` runs on WebSocket (at once if it already does). */
function upgraded(client: ClientSocket): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      if (client.io.engine.transport.name === 'websocket') resolve();
      else client.io.engine.once('upgrade', () => resolve());
    }),
    'the upgrade',
  );
}

/** Events with acks, a room joined on the owner, and a broadcast to that room from every node. */
async function exchange(client: ClientSocket, cluster: readonly Node[], room = 'room-a'): Promise<void> {
  let lost: string | undefined;
  client.on('disconnect', (reason) => {
    lost = reason;
  });
  const owners = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const reply = (await withTimeout(client.emitWithAck('echo', i), `ack ${i}`)) as {
      value: number;
      node: string;
    };
    assert.equal(reply.value, i);
    owners.add(reply.node);
  }
  // Every ack came from the session's owner, whichever node received the request.
  assert.equal(owners.size, 1);
  await withTimeout(client.emitWithAck('join', room), 'join ack');
  const heard: string[] = [];
  client.on('news', (from: string) => heard.push(from));
  for (const node of cluster) node.io.to(room).emit('news', node.id);
  await waitUntil(() => heard.length === cluster.length, 'a broadcast from each node');
  assert.deepEqual([...heard].sort(), cluster.map((n) => n.id).sort());
  assert.equal(lost, undefined, `the client lost its session: ${lost}`);
}

describe('no sticky sessions: a round-robin load balancer in front of three nodes', {
  skip: !redisAvailable() && process.env.CI !== 'true',
}, () => {
  test('redis-server is available', (t) => {
    requireRedis(t);
  });

  test('the official client over polling only connects, gets acks, joins a room and hears broadcasts; requests hit every node, none gets 400', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes();
    const port = await roundRobin(cluster);
    const client = connectThrough(port, ['polling']);
    await connected(client);
    assert.match(client.io.engine.id ?? '', /^n[0-2]\./, 'the session id names its owner');
    await exchange(client, cluster);
    assert.equal(client.io.engine.transport.name, 'polling');
    assert.ok(
      cluster.every((n) => n.requests > 0),
      `requests per node: ${cluster.map((n) => n.requests)}`,
    );
    assert.ok(
      cluster.reduce((sum, n) => sum + n.forwarded, 0) > 0,
      'some requests were forwarded to the owner',
    );
    assert.deepEqual(
      cluster.map((n) => n.refusals),
      [0, 0, 0],
    );
  });

  test('a peer list that answers with a promise: polling requests and the upgrade wait for the lookup, then reach the owner; an unknown node gets 400 after it', async (t) => {
    if (!requireRedis(t)) return;
    const lookups: string[] = [];
    const cluster = await startNodes(3, undefined, lookups);
    const port = await roundRobin(cluster);
    const client = connectThrough(port, ['polling', 'websocket']);
    await connected(client);
    await upgraded(client);
    await exchange(client, cluster);
    const owner = (client.io.engine.id ?? '').split('.')[0];
    assert.ok(lookups.length > 0 && lookups.every((id) => id === owner), `looked up: ${lookups.join(', ')}`);
    assert.ok(cluster.reduce((sum, n) => sum + n.forwarded + n.forwardedUpgrades, 0) > 0);
    const unknown = await fetch(`http://127.0.0.1:${cluster[0]!.port}/socket.io/?EIO=4&transport=polling&sid=n9.abc`);
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { code: 1, message: 'Session ID unknown' });
    assert.ok(lookups.includes('n9'), 'the unknown node was looked up first');
  });

  test('the official client upgrades from polling to WebSocket through the balancer, then exchanges events and acks and joins a room', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes();
    const port = await roundRobin(cluster);
    const client = connectThrough(port, ['polling', 'websocket']);
    await connected(client);
    await upgraded(client);
    await exchange(client, cluster);
    assert.equal(client.io.engine.transport.name, 'websocket');
    assert.ok(
      cluster.filter((n) => n.requests > 0).length > 1,
      `requests per node: ${cluster.map((n) => n.requests)}`,
    );
    assert.deepEqual(
      cluster.map((n) => n.refusals),
      [0, 0, 0],
    );
  });

  test('an upgrade that reaches a node other than the owner is piped to the owner, and the WebSocket works through it', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes(2);
    const [a, b] = cluster as [Node, Node];
    // The handshake reaches a; every later connection, the upgrade included, reaches b.
    const port = await roundRobin(cluster, (n) => (n === 0 ? a : b));
    const client = connectThrough(port, ['polling', 'websocket']);
    await connected(client);
    assert.ok(client.io.engine.id?.startsWith(`${a.id}.`));
    await upgraded(client);
    await exchange(client, cluster);
    assert.equal(a.forwardedUpgrades, 1);
    assert.deepEqual(
      cluster.map((n) => n.refusals),
      [0, 0],
    );
  });

  test('several clients through the balancer each keep their session; forwarded requests reach each owner', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes();
    const port = await roundRobin(cluster);
    const many = Array.from({ length: 4 }, (_, i) =>
      connectThrough(port, i % 2 === 0 ? ['polling'] : ['polling', 'websocket']),
    );
    await Promise.all(many.map(connected));
    await Promise.all(many.map((c, i) => exchange(c, cluster, `room-${i}`)));
    assert.ok(
      new Set(many.map((c) => c.io.engine.id?.split('.')[0])).size > 1,
      'sessions live on several nodes',
    );
    assert.deepEqual(
      cluster.map((n) => n.refusals),
      [0, 0, 0],
    );
  });

  test('a session of an unknown node, a forwarded request for a gone session and an unreachable owner get the usual 400 "Session ID unknown"', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes(2);
    const [a, b] = cluster as [Node, Node];
    const get = async (port: number, sid: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        headers,
      });
      return { status: res.status, body: await res.text() };
    };
    const unknown = { status: 400, body: '{"code":1,"message":"Session ID unknown"}' };
    assert.deepEqual(await get(a.port, 'zz.abcdef'), unknown, 'unknown node');
    assert.deepEqual(await get(a.port, `${b.id}.gone`), unknown, 'owner has no such session');
    assert.equal(b.forwarded, 1, 'the request was forwarded once');
    assert.deepEqual(
      await get(a.port, `${b.id}.x`, { [HOP_HEADER]: 'n9' }),
      unknown,
      'already forwarded: not forwarded again',
    );
    assert.equal(b.forwarded, 1);
    b.io.close();
    await closeHttp(b.http);
    assert.deepEqual(await get(a.port, `${b.id}.x`), unknown, 'owner unreachable');
  });

  test('past maxConcurrent forwarded requests, a node answers 400 "Session ID unknown" instead of forwarding; ids from a custom generateId still name the node', async (t) => {
    if (!requireRedis(t)) return;
    const cluster = await startNodes(2, 1);
    const [a, b] = cluster as [Node, Node];
    a.io.engine.generateId = () => `custom${a.requests}`;
    const base = (port: number) => `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
    const handshake = async (): Promise<string> => {
      const body = await (await fetch(base(a.port))).text();
      return (JSON.parse(body.slice(1)) as { sid: string }).sid;
    };
    const first = await handshake();
    const second = await handshake();
    assert.match(first, /^n0\.custom\d+$/);
    // Nothing is queued for a session that has not joined a namespace: its GET is held by the owner.
    const held = new AbortController();
    const polling = fetch(`${base(b.port)}&sid=${first}`, { signal: held.signal }).catch(() => undefined);
    await waitUntil(() => a.forwarded === 1, 'the first long-poll forwarded to its owner');
    const refused = await fetch(`${base(b.port)}&sid=${second}`);
    assert.equal(refused.status, 400);
    assert.equal(await refused.text(), '{"code":1,"message":"Session ID unknown"}');
    assert.equal(a.forwarded, 1, 'the second was not forwarded');
    held.abort();
    await polling;
  });
});

describe('forward: a peer list whose lookup fails', () => {
  test('a polling request and an upgrade for another node wait for the lookup, then get the usual 400 "Session ID unknown"', async () => {
    const http = createServer();
    let asked = 0;
    const io = new Server(http, {
      forward: {
        nodeId: 'here',
        peers: () => {
          asked++;
          return Promise.reject(new Error('directory unreachable'));
        },
      },
    });
    const port = await listenOnLoopback(http);
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling&sid=there.abc`);
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), { code: 1, message: 'Session ID unknown' });
      const ws = new WsClient(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&sid=there.abc`);
      assert.equal((await ws.refused).status, 400);
      assert.equal(asked, 2, 'both were looked up');
    } finally {
      io.close();
      await closeHttp(http).catch(() => {});
    }
  });
});
