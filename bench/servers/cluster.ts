/**
 * The cluster-fanout scenario's server: a redis-server of its own (127.0.0.1, a free port, no
 * persistence) and $BENCH_CLUSTER_NODES (default 3) nodes of one kind (argv[2]: parley or
 * socket.io; bench/servers/cluster-node.ts) on it, each its own process on its own port.
 *
 * Startup line: the bench contract's, for the first node, followed by every node as port:pid and
 * redis-server's pid, `bench-server <kind> listening on 127.0.0.1:<port> pid <pid> nodes
 * <port>:<pid>,... redis <pid>`, which the harness hands to the load generator (CPU is summed over
 * the nodes). Every process runs in the harness's process group, which it stops as a whole; on
 * SIGTERM/SIGINT this one also stops its children itself (bench/servers/launch.ts).
 */
import { startNode, startRedis } from './launch.js';

const kind = process.argv[2];
if (kind !== 'parley' && kind !== 'socket.io') throw new Error('usage: cluster.js parley|socket.io');
const NODES = Number(process.env.BENCH_CLUSTER_NODES ?? 3);

const redis = await startRedis();
const nodes = await Promise.all(
  Array.from({ length: NODES }, () => startNode(kind, { BENCH_REDIS_URL: redis.url })),
);
const first = nodes[0]!;
const list = nodes.map((n) => `${n.port}:${n.pid}`).join(',');
process.stdout.write(
  `bench-server ${kind} listening on 127.0.0.1:${first.port} pid ${first.pid} nodes ${list} redis ${redis.pid}\n`,
);
