/**
 * One node of the cluster-fanout and no-sticky scenarios: parley or socket.io@4.8 (argv[2]) on the
 * bench contract, its rooms shared through @socket.io/redis-adapter (classic pub/sub) on
 * $BENCH_REDIS_URL. Both kinds run this same file, so the handlers, the adapter and its Redis
 * clients are the same; only the Server class differs. Default options on both (no plain
 * WebSocket on parley: its clients here speak Socket.IO), but for parley's `forward` when
 * $BENCH_FORWARD_ID is set (no-sticky): this node's id, its peers in $BENCH_PEERS
 * (`id=host:port,...`).
 * - every socket joins room `bench`;
 * - `echo` (any args): with an ack, acks the same args; otherwise emits `echo` back with them;
 * - `broadcast` (one payload): emits `broadcast` with it to room `bench` on every node, sender included.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server as SocketIOServer } from 'socket.io';
import { announce, exitOnSignals, installGcHook, portFromEnv, serveBenchContract } from './common.js';

type Kind = 'parley' | 'socket.io';
const kind = process.argv[2] as Kind;
if (kind !== 'parley' && kind !== 'socket.io') throw new Error('usage: cluster-node.js parley|socket.io');
const url = process.env.BENCH_REDIS_URL;
if (url === undefined) throw new Error('BENCH_REDIS_URL is not set');

installGcHook();
// parley is typed as socket.io here: the bench drives both through the same calls.
const { Server } = (await import(kind === 'parley' ? '../../src/index.js' : 'socket.io')) as {
  Server: typeof SocketIOServer;
};
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const forwardId = process.env.BENCH_FORWARD_ID;
const peers = Object.fromEntries(
  (process.env.BENCH_PEERS ?? '')
    .split(',')
    .filter((entry) => entry !== '')
    .map((entry) => entry.split('=') as [string, string]),
);
if (forwardId !== undefined && kind !== 'parley') throw new Error('BENCH_FORWARD_ID: parley only');

const httpServer = createServer();
// `forward` is parley's own option, unknown to socket.io's types.
const options = forwardId === undefined ? {} : { forward: { nodeId: forwardId, peers } };
const io = new Server(httpServer, options as ConstructorParameters<typeof SocketIOServer>[1]);
io.adapter(createAdapter(pub, sub));
io.on('connection', (socket) => serveBenchContract(socket, (payload) => io.to('bench').emit('broadcast', payload)));

httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce(kind, (httpServer.address() as AddressInfo).port);
});
exitOnSignals(
  () =>
    new Promise<void>((resolve) => {
      io.close(() => resolve());
    }),
);
