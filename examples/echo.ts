/**
 * Socket.IO echo server used by the interop and conformance tests (`npm run example:echo`).
 * PORT (default 3000; 0 picks a free one) is printed on the startup line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from '../src/index.js';

const httpServer = createServer();
const io = new Server(httpServer, {
  path: '/socket.io/',
  pingInterval: 300,
  pingTimeout: 200,
  maxPayload: 1_000_000,
  connectTimeout: 1000,
  cors: { origin: '*' },
});

function echo(socket: Socket): void {
  socket.emit('auth', socket.handshake.auth);
  socket.on('message', (...args: unknown[]) => {
    socket.emit('message-back', ...args);
  });
  socket.on('message-with-ack', (...args: unknown[]) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
}

io.on('connection', echo);
io.of('/custom').on('connection', echo);

httpServer.listen(Number(process.env.PORT ?? 3000), () => {
  const { port } = httpServer.address() as AddressInfo;
  console.log(`echo server listening on http://localhost:${port}/socket.io/`);
});

const stop = () => {
  void io.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
