/**
 * The endpoints `parley probe` is tested against, each on 127.0.0.1 and a free port: parley's chat,
 * the official socket.io v4 on a custom path, socket.io 2 (Engine.IO v3), a plain `ws` server, an
 * HTTP server answering 404, and a closed port. (Flask-SocketIO comes from test/support/flask.ts.)
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { startChatServer } from '../../src/chat/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';

export interface Endpoint {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

/** parley's chat: Socket.IO and plain WebSocket at /ws/chat/, same-origin pages only. */
export async function chatEndpoint(): Promise<Endpoint> {
  const chat = await startChatServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    pingInterval: 300,
    pingTimeout: 300,
  });
  return { origin: `http://127.0.0.1:${chat.port}`, close: () => chat.close() };
}

/**
 * The official socket.io 4 at `path`; with `requireToken` its middleware refuses a CONNECT
 * without `auth.token`, as an application with login does.
 */
export async function socketIoEndpoint(
  path: string,
  options: { requireToken?: boolean; cors?: string; allowEIO3?: boolean; websocketOnly?: boolean } = {},
): Promise<Endpoint> {
  const http = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const io = new SocketIoServer(http, {
    path,
    pingInterval: 300,
    pingTimeout: 300,
    ...(options.cors ? { cors: { origin: options.cors } } : {}),
    ...(options.allowEIO3 ? { allowEIO3: true } : {}),
    ...(options.websocketOnly ? { transports: ['websocket' as const] } : {}),
  });
  if (options.requireToken) {
    io.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      if (auth.token === 'x') next();
      else next(Object.assign(new Error('not authorized'), { data: { need: 'token' } }));
    });
  }
  const port = await listenOnLoopback(http);
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeHttp(http);
    },
  };
}

/** What the test uses of socket.io 2 (it ships no types). */
interface V2Server {
  close(callback?: () => void): void;
  use(
    fn: (socket: { handshake: { query: Record<string, string> } }, next: (err?: Error) => void) => void,
  ): void;
}
type V2Factory = (http: import('node:http').Server, options: Record<string, unknown>) => V2Server;

/** socket.io 2.5 (Engine.IO v3) at the default path /socket.io/; `requireToken` wants `?token=x`. */
export async function socketIoV2Endpoint(options: { requireToken?: boolean } = {}): Promise<Endpoint> {
  const require = createRequire(import.meta.url);
  const createV2 = require('socket.io-v2') as V2Factory;
  const http = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const io = createV2(http, { pingInterval: 300, pingTimeout: 300 });
  if (options.requireToken) {
    io.use((socket, next) =>
      socket.handshake.query.token === 'x' ? next() : next(new Error('not authorized')),
    );
  }
  const port = await listenOnLoopback(http);
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      // socket.io 2 closes the HTTP server itself.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeHttp(http);
    },
  };
}

/** A plain WebSocket server (`ws`) at `path` that greets with a JSON frame; 426 for plain HTTP. */
export async function plainWsEndpoint(path: string): Promise<Endpoint> {
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('Upgrade Required');
  });
  const wss = new WebSocketServer({ server: http, path });
  wss.on('connection', (ws) => ws.send(JSON.stringify({ hello: 'plain' })));
  const port = await listenOnLoopback(http);
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeHttp(http);
    },
  };
}

/** An HTTP server that answers 404 to everything, upgrades included. */
export async function notFoundEndpoint(): Promise<Endpoint> {
  const http = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
  });
  http.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const port = await listenOnLoopback(http);
  return { origin: `http://127.0.0.1:${port}`, close: () => closeHttp(http) };
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<string> {
  const http = createServer();
  await listenOnLoopback(http);
  const { port } = http.address() as AddressInfo;
  await closeHttp(http);
  return `http://127.0.0.1:${port}`;
}
