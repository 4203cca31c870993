/**
 * The no-sticky scenario's server: a redis-server of its own, $BENCH_NOSTICKY_NODES (default 3)
 * nodes of one kind (argv[2]: parley or socket.io; bench/servers/cluster-node.ts, the Redis
 * adapter) behind a round-robin TCP proxy, and a baseline node of the same kind behind a proxy of
 * its own (one node: nothing to forward). parley's nodes run with `forward` (node ids n0, n1, ...,
 * the baseline's b0, each with the peer list of its group; ports picked before they start, so the
 * peer list is static); socket.io's with default options (it has no forwarding).
 *
 * The proxies (in this process, node:net) send each new TCP connection to the next node of their
 * group in turn. The clients open a new connection per request (`Connection: close`), so with n
 * nodes a request reaches a node that does not own its session (n-1)/n of the time. From the first
 * request line of each connection a proxy counts requests with a sid and, for parley (whose session
 * ids name their owner, `<nodeId>.<random>`), how many it sent to a node other than the owner;
 * `GET /` on the stats port answers `{"forward":{...},"baseline":{...}}` with these counts.
 *
 * Startup line: `bench-server <kind> listening on 127.0.0.1:<forward proxy> pid <this process>
 * nodes <port>:<pid>,... extra forward=<port>,baseline=<port>,stats=<port>,baselinePid=<pid>,forwarding=<1|0>`
 * (the nodes listed are the proxied group's; bench/run.ts hands them and `extra` to the load
 * process). SIGTERM/SIGINT stops the children too (bench/servers/launch.ts).
 */
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort, type NodeProcess, onStop, startNode, startRedis } from './launch.js';

const kind = process.argv[2];
if (kind !== 'parley' && kind !== 'socket.io') throw new Error('usage: no-sticky.js parley|socket.io');
const NODES = Number(process.env.BENCH_NOSTICKY_NODES ?? 3);

interface Target {
  id: string;
  port: number;
}

interface ProxyCounts {
  connections: number;
  /** Requests that carry a sid (all but the handshake's first GET). */
  withSid: number;
  /** Of those, how many went to a node that does not own the session (parley's sids only). */
  misrouted: number;
}

const open = new Set<Socket>();
onStop(() => {
  for (const socket of open) socket.destroy();
});

function track(socket: Socket): void {
  open.add(socket);
  socket.once('close', () => open.delete(socket));
}

/** A round-robin TCP proxy over `targets`; resolves with its port. */
function roundRobin(targets: readonly Target[], counts: ProxyCounts): Promise<number> {
  let next = 0;
  const proxy: Server = createServer((client) => {
    const target = targets[next++ % targets.length]!;
    counts.connections++;
    const upstream = connect(target.port, '127.0.0.1');
    track(client);
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.once('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1', 0, Math.min(chunk.length, 512));
      const sid = /[?&]sid=([^&\s]+)/.exec(line.slice(0, line.indexOf('\r\n')))?.[1];
      if (sid === undefined) return;
      counts.withSid++;
      if (kind === 'parley' && !sid.startsWith(`${target.id}.`)) counts.misrouted++;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    proxy.listen(0, '127.0.0.1', () => {
      const address = proxy.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** Starts a group of nodes with ids `ids`, each knowing the others (parley: `forward`). */
async function startGroup(
  ids: string[],
  redisUrl: string,
): Promise<{ targets: Target[]; nodes: NodeProcess[] }> {
  const targets = await Promise.all(ids.map(async (id) => ({ id, port: await freePort() })));
  const peers = targets.map((t) => `${t.id}=127.0.0.1:${t.port}`).join(',');
  const nodes = await Promise.all(
    targets.map((t) =>
      startNode(kind!, {
        PORT: String(t.port),
        BENCH_REDIS_URL: redisUrl,
        ...(kind === 'parley' ? { BENCH_FORWARD_ID: t.id, BENCH_PEERS: peers } : {}),
      }),
    ),
  );
  return { targets, nodes };
}

const redis = await startRedis();
const cluster = await startGroup(
  Array.from({ length: NODES }, (_, i) => `n${i}`),
  redis.url,
);
const baseline = await startGroup(['b0'], redis.url);
const counts = {
  forward: { connections: 0, withSid: 0, misrouted: 0 },
  baseline: { connections: 0, withSid: 0, misrouted: 0 },
};
const forwardPort = await roundRobin(cluster.targets, counts.forward);
const baselinePort = await roundRobin(baseline.targets, counts.baseline);
const stats = createHttpServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(counts));
});
const statsPort = await new Promise<number>((resolve) => {
  stats.listen(0, '127.0.0.1', () => {
    const address = stats.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  });
});

const list = cluster.nodes.map((n) => `${n.port}:${n.pid}`).join(',');
const extra =
  `forward=${forwardPort},baseline=${baselinePort},stats=${statsPort},` +
  `baselinePid=${baseline.nodes[0]!.pid},forwarding=${kind === 'parley' ? 1 : 0}`;
process.stdout.write(
  `bench-server ${kind} listening on 127.0.0.1:${forwardPort} pid ${process.pid} nodes ${list} extra ${extra} redis ${redis.pid}\n`,
);
