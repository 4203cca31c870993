/**
 * Fixtures for the Socket.IO interop tests: a server under test on an ephemeral loopback port, official
 * `socket.io-client` / `engine.io-client` clients, promise helpers whose timeouts are failure guards only
 * (never sleeps), and a cleanup that closes everything a test opened and checks the server kept no session.
 *
 * Usage in a test file:
 *
 *   afterEach(cleanup);
 *   forEachTransport((setup) => {
 *     test('does something', async () => {
 *       const { io, url } = await startServer();
 *       const client = await connectClient(url, { setup });
 *       ...
 *     });
 *   });
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe } from 'node:test';
import { Socket as EngineSocket, type SocketOptions as EngineSocketOptions } from 'engine.io-client';
import {
  type Manager,
  type ManagerOptions,
  io as ioClient,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';
import type { Socket as SUTServerSocket } from 'socket.io';
import { Server, type ServerOptions, serverKind, type Server as SUTServer } from './server-under-test.js';
import { GUARD_MS, waitFor, waitUntil, withTimeout } from './waiting.js';

export { serverKind };
export type { Socket as ClientSocket };

export {
  countdown,
  type Deferred,
  deferred,
  GUARD_MS,
  type Listenable,
  waitFor,
  waitForArgs,
  waitUntil,
  withTimeout,
} from './waiting.js';

// ---------------------------------------------------------------------------------------------------------
// transport setups

export interface TransportSetup {
  /** Used in test names. */
  readonly name: 'polling' | 'websocket' | 'polling→websocket upgrade';
  /** Client options selecting the transports. */
  readonly clientOpts: Partial<ManagerOptions>;
  /** Whether the client upgrades from polling to websocket after connecting. */
  readonly upgrades: boolean;
  /** The transport the client ends up on. */
  readonly finalTransport: 'polling' | 'websocket';
}

export const TRANSPORT_SETUPS: readonly TransportSetup[] = [
  { name: 'polling', clientOpts: { transports: ['polling'] }, upgrades: false, finalTransport: 'polling' },
  {
    name: 'websocket',
    clientOpts: { transports: ['websocket'] },
    upgrades: false,
    finalTransport: 'websocket',
  },
  { name: 'polling→websocket upgrade', clientOpts: {}, upgrades: true, finalTransport: 'websocket' },
];

/** Declares the cases registered by `body` once per client transport setup, in a `describe` named after it. */
export function forEachTransport(body: (setup: TransportSetup) => void): void {
  for (const setup of TRANSPORT_SETUPS) {
    describe(`[${setup.name}]`, () => body(setup));
  }
}

// ---------------------------------------------------------------------------------------------------------
// server

export interface StartedServer {
  readonly io: SUTServer;
  readonly httpServer: HttpServer;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Closes every client of this server, checks no engine session is left, closes the server. */
  close(): Promise<void>;
}

interface EngineConn {
  readonly readyState?: string;
  once(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

interface TrackedServer {
  readonly io: SUTServer;
  readonly httpServer: HttpServer;
  readonly conns: Set<EngineConn>;
  closed: boolean;
}

const servers = new Set<TrackedServer>();
const clientSockets = new Set<Socket>();
const engineSockets = new Set<EngineSocket>();

/**
 * Starts the server under test on 127.0.0.1, on an ephemeral port, with short heartbeats
 * (pingInterval 300 ms, pingTimeout 200 ms) unless `opts` overrides them.
 */
export async function startServer(opts: ServerOptions = {}): Promise<StartedServer> {
  const options: ServerOptions = { pingInterval: 300, pingTimeout: 200, ...opts };
  if (serverKind === 'socket.io' && options.maxPayload !== undefined) {
    // socket.io only knows engine.io's name for it.
    options.maxHttpBufferSize ??= options.maxPayload;
    delete options.maxPayload;
  }
  const httpServer = createServer();
  const io = new Server(httpServer, options);
  const tracked: TrackedServer = { io, httpServer, conns: new Set(), closed: false };
  servers.add(tracked);
  // Engine-level sessions, so cleanup can await their closing instead of polling. socket.io's io.engine is
  // an EventEmitter ('connection'); an engine without it falls back to polling clientsCount at cleanup.
  const engineEvents = io.engine as unknown as {
    on?: (event: string, fn: (conn: EngineConn) => void) => void;
  };
  if (typeof engineEvents.on === 'function') {
    engineEvents.on('connection', (conn) => {
      tracked.conns.add(conn);
      conn.once('close', () => tracked.conns.delete(conn));
    });
  }
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    io,
    httpServer,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await closeClients();
      await closeServer(tracked);
    },
  };
}

/** Resolves once every engine session the server has seen is closed; asserts `clientsCount === 0`. */
export async function assertNoSessionsLeft(io: SUTServer): Promise<void> {
  const tracked = [...servers].find((s) => s.io === io);
  if (tracked) {
    await Promise.all(
      [...tracked.conns].map((conn) =>
        conn.readyState === 'closed' ? undefined : waitFor(conn, 'close', GUARD_MS).catch(() => undefined),
      ),
    );
  }
  // Fallback for an engine that does not emit 'connection'; a guard, not a sleep.
  await waitUntil(() => io.engine.clientsCount === 0, 'io.engine.clientsCount === 0').catch(() => undefined);
  assert.equal(io.engine.clientsCount, 0, 'engine sessions left open on the server');
}

async function closeServer(tracked: TrackedServer): Promise<void> {
  if (tracked.closed) return;
  tracked.closed = true;
  servers.delete(tracked);
  try {
    await assertNoSessionsLeft(tracked.io);
  } finally {
    // socket.io's io.close() also closes the attached http server; its callback waits for that.
    const ioClosed = new Promise<void>((resolve) => {
      tracked.io.close(() => resolve());
    });
    // Whatever is still open (e.g. a hanging request to another path) must not keep the process alive.
    tracked.httpServer.closeAllConnections();
    await withTimeout(ioClosed, 'io.close() callback').catch(() => undefined);
    if (tracked.httpServer.listening) {
      const httpClosed = new Promise<void>((resolve) => tracked.httpServer.close(() => resolve()));
      tracked.httpServer.closeAllConnections();
      await withTimeout(httpClosed, 'http server close');
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// clients

export interface ConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  /** Transport setup; defaults to the polling→websocket upgrade (the client's defaults). */
  setup?: TransportSetup;
  /** Namespace to connect to (default '/'). */
  nsp?: string;
  /** With an upgrading setup, also wait for the upgrade to websocket to complete (ignored otherwise). */
  upgraded?: boolean;
}

/**
 * Connects an official socket.io-client (`forceNew`, no reconnection unless asked); resolves once
 * connected, rejects with the `connect_error`.
 */
export async function connectClient(url: string, opts: ConnectOptions = {}): Promise<Socket> {
  const socket = makeClient(url, opts);
  const upgrade = opts.upgraded && (opts.setup?.upgrades ?? true) ? whenUpgraded(socket) : undefined;
  await whenConnected(socket);
  if (upgrade) await upgrade;
  return socket;
}

/** Creates a client that is not yet connected (`autoConnect: false`); call `socket.connect()`. */
export function makeClient(url: string, opts: ConnectOptions = {}): Socket {
  const { setup, nsp = '/', upgraded: _upgraded, ...rest } = opts;
  const socket = ioClient(`${url}${nsp === '/' ? '' : nsp}`, {
    forceNew: true,
    reconnection: false,
    ...setup?.clientOpts,
    ...rest,
  });
  clientSockets.add(socket);
  return socket;
}

/** Opens another namespace on the same connection (manager) as `socket`. */
export async function connectNamespace(manager: Manager, nsp: string, opts: Partial<SocketOptions> = {}) {
  const socket = manager.socket(nsp, opts);
  clientSockets.add(socket);
  // With the manager's autoConnect (the default) the socket is already connecting: a second connect()
  // would send a second CONNECT packet for the namespace.
  if (!socket.active) socket.connect();
  await whenConnected(socket);
  return socket;
}

/** Resolves on 'connect', rejects with the 'connect_error' error. */
export function whenConnected(socket: Socket, timeoutMs = GUARD_MS): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        socket.off('connect_error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        socket.off('connect', onConnect);
        reject(err);
      };
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
    }),
    'client connect',
    timeoutMs,
  );
}

/** Resolves once the client's engine runs over websocket (immediately if it already does). */
export async function whenUpgraded(socket: Socket, timeoutMs = GUARD_MS): Promise<void> {
  const manager = socket.io;
  if (!manager.engine) await waitFor(manager, 'open', timeoutMs);
  const engine = manager.engine;
  if (engine.transport?.name === 'websocket') return;
  await waitFor(engine, 'upgrade', timeoutMs);
}

/**
 * Resolves once the server side of a connection runs over websocket (immediately if it already does).
 * The client reports its upgrade when it sends the upgrade packet, before the server has processed it;
 * tests that then act on the server-side transport must wait for this too.
 */
export async function whenServerUpgraded(socket: SUTServerSocket, timeoutMs = GUARD_MS): Promise<void> {
  if (socket.conn.transport.name === 'websocket') return;
  await waitFor(socket.conn, 'upgrade', timeoutMs);
}

/**
 * A bare engine.io-client session on the Socket.IO path (no Socket.IO CONNECT is sent). Closed by
 * `cleanup()`.
 */
export function rawEngineClient(url: string, opts: Partial<EngineSocketOptions> = {}): EngineSocket {
  const socket = new EngineSocket(url, { path: '/socket.io/', ...opts });
  engineSockets.add(socket);
  return socket;
}

async function closeClients(): Promise<void> {
  for (const socket of clientSockets) socket.disconnect();
  clientSockets.clear();
  for (const socket of engineSockets) socket.close();
  engineSockets.clear();
}

/**
 * Closes every client and server the test opened, asserting that no engine session was left on any
 * server once its clients are gone. Register with `afterEach(cleanup)`.
 */
export async function cleanup(): Promise<void> {
  await closeClients();
  const errors: unknown[] = [];
  for (const tracked of [...servers]) {
    await closeServer(tracked).catch((err: unknown) => errors.push(err));
  }
  if (errors.length > 0) throw errors[0];
}

// ---------------------------------------------------------------------------------------------------------
// test-side client manipulation (official client internals; the server is what is under test)

interface EngineClientInternals {
  transport: { name: string; onPacket(packet: { type: string }): void };
  _pingTimeoutTimer: NodeJS.Timeout | undefined;
  _pingTimeoutTime: number;
  _resetPingTimeout(): void;
  clearTimeoutFn(timer: NodeJS.Timeout | undefined): void;
}

/**
 * Makes the client's engine deaf to the server's heartbeat: pings are dropped (so no pong is sent) and the
 * client's own ping-timeout timer is disabled, so it is the server that detects the dead peer.
 * Relies on engine.io-client 6.6 internals (`transport.onPacket`, `_resetPingTimeout`, `_pingTimeoutTimer`).
 * Call after any upgrade has completed: it patches the current transport only.
 */
export function silenceHeartbeat(socket: Socket): void {
  const engine = socket.io.engine as unknown as EngineClientInternals;
  engine.clearTimeoutFn(engine._pingTimeoutTimer);
  engine._resetPingTimeout = () => {};
  engine._pingTimeoutTime = Number.POSITIVE_INFINITY;
  const transport = engine.transport;
  const onPacket = transport.onPacket.bind(transport);
  transport.onPacket = (packet) => {
    if (packet.type !== 'ping') onPacket(packet);
  };
}

/**
 * For a client created with `upgrade: false` (on polling): starts the polling→websocket upgrade now,
 * e.g. in the middle of a stream; resolves once the client switched. On loopback the natural upgrade
 * completes before the Socket.IO 'connect', so this is how a test makes client-sent traffic straddle it.
 * Relies on engine.io-client 6.6's internal `_probe(name)`.
 */
export function startUpgrade(socket: Socket, timeoutMs = GUARD_MS): Promise<void> {
  const engine = socket.io.engine as unknown as { _probe(name: string): void; transport: { name: string } };
  assert.equal(engine.transport.name, 'polling', 'startUpgrade: the client must still be on polling');
  const upgraded = waitFor(socket.io.engine, 'upgrade', timeoutMs).then(() => undefined);
  engine._probe('websocket');
  return upgraded;
}
