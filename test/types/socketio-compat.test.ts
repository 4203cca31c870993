/**
 * Type-level checks, in the spirit of socket.io's own `socket.io.test-d.ts`: a TypeScript
 * application written against socket.io 4.8's types compiles against parley unchanged. This file
 * must typecheck (`npm test` runs tsc first), and every `@ts-expect-error` must still be an error;
 * the runtime part only makes sure it loads.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { test } from 'node:test';
import type { Server as SocketIOServer } from 'socket.io';
import { Adapter as SocketIOAdapter } from 'socket.io-adapter';
import { type Namespace, Server, type Socket } from '../../src/index.js';

/** True when A and B are the same type (not merely assignable), as tsd's expectType checks. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(): T | undefined {
  return undefined;
}
function expectType<T>(value: T): T {
  return value;
}
/** `any` is the only type both 0 and 1 extend at once through this test. */
type IsAny<T> = 0 extends 1 & T ? true : false;

function socketData(): void {
  // SocketData defaults to any, as socket.io's: untyped `socket.data.x` compiles.
  const io = new Server();
  io.on('connection', (socket) => {
    socket.data.user = { id: 1 };
    const id: number = socket.data.user.id;
    void id;
    expectTrue<IsAny<typeof socket.data>>();
  });
  expectTrue<IsAny<Socket['data']>>();
  void io.fetchSockets().then((sockets) => {
    for (const remote of sockets) expectTrue<IsAny<typeof remote.data>>();
  });
  // A typed SocketData is kept.
  const typed = new Server<{}, {}, {}, { name: string }>();
  typed.on('connection', (socket) => {
    expectType<string>(socket.data.name);
    // @ts-expect-error SocketData is typed here
    socket.data.age = 3;
  });
}

function httpServerType(): void {
  const io = new Server();
  // Typed as socket.io types it: not `| undefined`, and the same union of servers.
  expectTrue<Equal<typeof io.httpServer, HttpServer | HttpsServer | Http2SecureServer | Http2Server>>();
  expectTrue<Equal<typeof io.httpServer, SocketIOServer['httpServer']>>();
  io.httpServer.close();
  void io.httpServer.listening;
}

function attachAndListen(): void {
  const io = new Server();
  expectType<Server>(io.attach(createServer(), { pingInterval: 10_000, path: '/x', cors: { origin: '*' } }));
  expectType<Server>(io.listen(3000, { serveClient: false }));
  io.attach(3000);
  io.listen(createHttpsServer());
  // @ts-expect-error the options are socket.io's, typed
  io.attach(createServer(), { pingInterval: '10s' });
  // @ts-expect-error an express-style handler is not a server
  io.attach((_req: unknown, _res: unknown) => {});
  new Server(createHttpsServer(), { serveClient: true, cleanupEmptyChildNamespaces: true });
  new Server(3000, { connectTimeout: 1000 });
  new Server(undefined, { path: '/y' });
  // @ts-expect-error cleanupEmptyChildNamespaces is a boolean
  new Server({ cleanupEmptyChildNamespaces: 'yes' });
  expectType<boolean>(io.serveClient());
  expectType<Server>(io.serveClient(false));
}

function adapters(): void {
  // A class extending socket.io-adapter's Adapter, as Redis or cluster adapters are written.
  class CustomAdapter extends SocketIOAdapter {
    override addAll(id: string, rooms: Set<string>): void {
      super.addAll(id, rooms);
    }
  }
  const io = new Server({ adapter: CustomAdapter });
  expectType<Server>(io.adapter(CustomAdapter));
  // The factory form (what `createAdapter()` of @socket.io/redis-adapter returns).
  const factory = (nsp: Namespace) => new CustomAdapter(nsp);
  io.adapter(factory);
  new Server({ adapter: factory });
  // @ts-expect-error a class that is no adapter
  io.adapter(class NotAnAdapter {});
  // @ts-expect-error nor is a plain object
  new Server({ adapter: { rooms: new Map() } });
}

function socketIoStyleApp(): void {
  // An application as socket.io's docs write one, only the import changed.
  interface ServerToClientEvents {
    noArg: () => void;
    basicEmit: (a: number, b: string, c: Buffer) => void;
    withAck: (d: string, callback: (e: number) => void) => void;
  }
  interface ClientToServerEvents {
    hello: () => void;
  }
  interface InterServerEvents {
    ping: () => void;
  }
  interface SocketData {
    name: string;
    age: number;
  }
  const httpServer = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer, {
    cors: { origin: 'https://example.com' },
    cleanupEmptyChildNamespaces: true,
  });
  io.on('connection', (socket) => {
    socket.emit('noArg');
    socket.emit('basicEmit', 1, '2', Buffer.from([3]));
    socket.emit('withAck', '4', (e) => {
      expectType<number>(e);
    });
    io.to('room1').emit('basicEmit', 1, '2', Buffer.from([3]));
    socket.data.name = 'john';
    socket.data.age = 42;
  });
  io.of(/^\/dynamic-\d+$/).on('connection', (socket) => {
    void socket.nsp.name;
  });
  io.serverSideEmit('ping');
  httpServer.listen(3000);
  void io.close();
}

test('an application written against socket.io types compiles against parley (checked by tsc)', () => {
  for (const check of [socketData, httpServerType, attachAndListen, adapters, socketIoStyleApp]) {
    assert.equal(typeof check, 'function');
  }
});
