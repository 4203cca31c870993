/**
 * parley on the benchmark contract (`npm run example:bench`; `npm run bench` drives it). Default
 * options, but for `ownHttp: true` (the opt-in own HTTP/1.1 path) with PARLEY_OWN_HTTP=1 (the
 * bench's `parley-ownhttp`); listens on 127.0.0.1:$PORT (0 picks a free one) at /socket.io/.
 * Plain WebSocket clients are accepted too (`plainWebSocket: true`: an upgrade without `EIO`; the
 * bench's `parley-plain`); they are sockets of namespace '/', so the handlers below serve both kinds.
 * For Socket.IO clients the option costs one query-parameter check per upgrade.
 * - every socket joins room `bench`;
 * - `echo` (any args): with an ack, acks the same args; otherwise emits `echo` back with them;
 * - `broadcast` (one payload): emits `broadcast` with it to room `bench`, sender included.
 * SIGUSR2 runs a full GC (the harness samples RSS after it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, exitOnSignals, installGcHook, portFromEnv, serveBenchContract } from '../bench/servers/common.js';
import { Server } from '../src/index.js';

installGcHook();
const ownHttp = process.env.PARLEY_OWN_HTTP === '1';
const httpServer = createServer();
const io = new Server(httpServer, { plainWebSocket: true, ...(ownHttp ? { ownHttp: true } : {}) });

io.on('connection', (socket) => serveBenchContract(socket, (payload) => io.to('bench').emit('broadcast', payload)));

httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce(ownHttp ? 'parley-ownhttp' : 'parley', (httpServer.address() as AddressInfo).port);
});
exitOnSignals(() => io.close());
