/**
 * One node of the cluster-fanout scenario: parley or socket.io@4.8 (argv[2]) on the bench
 * contract, its rooms shared through @socket.io/redis-adapter (classic pub/sub) on $BENCH_REDIS_URL.
 * Both kinds run this same file, so the handlers, the adapter and its Redis clients are the same;
 * only the Server class differs. Default options on both (no plain WebSocket on parley: its
 * clients here speak Socket.IO).
 * - every socket joins room `bench`;
 * - `broadcast` (one payload): emits `broadcast` with it to room `bench` on every node, sender included.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server as SocketIOServer } from 'socket.io';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

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

const httpServer = createServer();
const io = new Server(httpServer);
io.adapter(createAdapter(pub, sub));
io.on('connection', (socket) => {
  socket.join('bench');
  socket.on('broadcast', (payload: unknown) => {
    io.to('bench').emit('broadcast', payload);
  });
});

httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce(kind, (httpServer.address() as AddressInfo).port);
});
exitOnSignals(
  () =>
    new Promise<void>((resolve) => {
      io.close(() => resolve());
    }),
);
