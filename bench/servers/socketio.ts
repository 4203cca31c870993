/**
 * The reference: the official socket.io@4.8 server with default options, on the bench contract:
 * every socket joins room `bench`; `echo` acks its args (with an ack) or emits `echo` back;
 * `broadcast` emits its payload to room `bench`, sender included.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { announce, exitOnSignals, installGcHook, portFromEnv, serveBenchContract } from './common.js';

installGcHook();
const httpServer = createServer();
const io = new Server(httpServer);

io.on('connection', (socket) => serveBenchContract(socket, (payload) => io.to('bench').emit('broadcast', payload)));

httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce('socket.io', (httpServer.address() as AddressInfo).port);
});
exitOnSignals(() => new Promise<void>((resolve) => io.close(() => resolve())));
