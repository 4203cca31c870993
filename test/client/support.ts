/**
 * Helpers of the client's interop tests: parley's client against parley, the official socket.io 4
 * and socket.io 2 servers; the transport setups; and cleanup of every client a test opened.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { describe } from 'node:test';
import { Server as SocketIoServer, type ServerOptions as SocketIoOptions } from 'socket.io';
import { type IoOptions, io, type Socket } from '../../src/client/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { Changes, waitFor } from '../support/waiting.js';

export interface ClientSetup {
  readonly name: 'polling' | 'websocket' | 'polling→websocket upgrade';
  readonly opts: IoOptions;
  /** Whether the client upgrades after connecting. */
  readonly upgrades: boolean;
}

export const CLIENT_SETUPS: readonly ClientSetup[] = [
  { name: 'polling', opts: { transports: ['polling'] }, upgrades: false },
  { name: 'websocket', opts: { transports: ['websocket'] }, upgrades: false },
  { name: 'polling→websocket upgrade', opts: { transports: ['polling', 'websocket'] }, upgrades: true },
];

/** Declares the cases of `body` once per client transport setup. */
export function forEachSetup(body: (setup: ClientSetup) => void): void {
  for (const setup of CLIENT_SETUPS) describe(`[${setup.name}]`, () => body(setup));
}

const opened = new Set<Socket>();

/** A client socket on its own connection, reconnecting fast; closed by `closeClientSockets`. */
export function client(url: string, opts: IoOptions = {}): Socket {
  const socket = io(url, { forceNew: true, reconnectionDelay: 20, reconnectionDelayMax: 100, ...opts });
  opened.add(socket);
  return socket;
}

/** Another namespace's socket on the same Manager as `socket`. */
export function sibling(socket: Socket, nsp: string, opts: IoOptions = {}): Socket {
  const other = socket.io.socket(nsp, opts);
  opened.add(other);
  return other;
}

/** Resolves once the socket is connected (and, for an upgrading setup, upgraded). */
export async function connected(socket: Socket, setup?: ClientSetup): Promise<Socket> {
  if (!socket.connected) await waitFor(socket, 'connect');
  if (setup?.upgrades && socket.io.engine?.transport?.name !== 'websocket')
    await waitFor(socket.io.engine!, 'upgrade');
  return socket;
}

/** Disconnects every client socket the test opened. */
export function closeClientSockets(): void {
  for (const socket of opened) {
    socket.disconnect();
    socket.io.close();
  }
  opened.clear();
}

// ---- the official servers -------------------------------------------------------------------------

export interface OfficialServer<IO> {
  readonly io: IO;
  readonly url: string;
  close(): Promise<void>;
}

const officials = new Set<{ close(): Promise<void> }>();

/** The official socket.io 4 server, with short heartbeats. */
export async function startSocketIo4(
  opts: Partial<SocketIoOptions> = {},
): Promise<OfficialServer<SocketIoServer>> {
  const http = createServer();
  const server = new SocketIoServer(http, { pingInterval: 300, pingTimeout: 200, ...opts });
  return track(server, http);
}

/** The part of socket.io 2's server the tests use. */
export interface V2Server {
  on(event: 'connection', listener: (socket: V2Socket) => void): void;
  of(nsp: string): {
    on(event: 'connection', listener: (socket: V2Socket) => void): void;
    use(fn: V2Middleware): void;
  };
  use(fn: V2Middleware): void;
  close(callback?: () => void): void;
  engine: EngineLike;
}
type V2Middleware = (socket: V2Socket, next: (err?: Error) => void) => void;
export interface V2Socket {
  id: string;
  handshake: { query: Record<string, string> };
  conn: {
    transport: { name: string };
    close(): void;
    on(event: string, listener: (...args: never[]) => void): void;
    once(event: string, listener: (...args: never[]) => void): void;
    off(event: string, listener: (...args: never[]) => void): void;
  };
  on(event: string, listener: (...args: never[]) => void): void;
  emit(event: string, ...args: unknown[]): void;
  disconnect(close?: boolean): void;
}

const require = createRequire(import.meta.url);

/** socket.io 2.x (Engine.IO v3, Socket.IO protocol v4), with short heartbeats. */
export async function startSocketIo2(opts: Record<string, unknown> = {}): Promise<OfficialServer<V2Server>> {
  const http = createServer();
  const factory = require('socket.io-v2') as (http: HttpServer, opts: Record<string, unknown>) => V2Server;
  const server = factory(http, { pingInterval: 300, pingTimeout: 200, ...opts });
  return track(server, http);
}

/** The part of an Engine.IO server (3.x or 6.x) the cleanup watches. */
interface EngineLike {
  on(
    event: 'connection',
    listener: (conn: { once(event: 'close', listener: () => void): void }) => void,
  ): void;
}

async function track<IO extends { close(callback?: () => void): unknown; engine: unknown }>(
  io: IO,
  http: HttpServer,
): Promise<OfficialServer<IO>> {
  const port = await listenOnLoopback(http);
  // The clients' close packets are still on their way when a test ends: closing the server first
  // would leave each session's polling transport a 30 s close timer (engine.io's closeTimeout),
  // which keeps the test process alive. So the cleanup waits for the sessions to end.
  let sessions = 0;
  const changes = new Changes();
  (io.engine as EngineLike).on('connection', (conn) => {
    sessions++;
    conn.once('close', () => {
      sessions--;
      changes.changed();
    });
  });
  const entry = {
    io,
    url: `http://127.0.0.1:${port}`,
    async close() {
      officials.delete(entry);
      await changes.until(() => sessions === 0, 'the sessions of the clients to end').catch(() => undefined);
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        http.closeAllConnections();
      });
      await closeHttp(http).catch(() => undefined);
    },
  };
  officials.add(entry);
  return entry;
}

/** For `afterEach`: closes the clients, then every official server started. */
export async function closeOfficialServers(): Promise<void> {
  closeClientSockets();
  for (const server of [...officials]) await server.close();
}
