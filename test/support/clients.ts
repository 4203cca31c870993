/**
 * Official clients for tests: socket.io-client sockets (one per transport setup) and bare
 * engine.io-client sessions, plus what a test does to their internals to provoke the server (a deaf
 * heartbeat, an upgrade started by hand). `closeClients()` closes every client a test opened (the
 * raw WebSocket clients of raw-clients.ts too); the servers' `cleanup()` calls it.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Socket as EngineSocket, type SocketOptions as EngineSocketOptions } from 'engine.io-client';
import type { Socket as SUTServerSocket } from 'socket.io';
import {
  type Manager,
  type ManagerOptions,
  io as ioClient,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';
import { closeWsClients } from './raw-clients.js';
import { GUARD_MS, waitFor, withTimeout } from './waiting.js';

export type { Socket as ClientSocket };

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
// clients

const clientSockets = new Set<Socket>();
const engineSockets = new Set<EngineSocket>();

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

/**
 * Creates a client without waiting for it: it connects at once (pass `autoConnect: false` to start
 * it later with `socket.connect()`), so a test can await what it gets, a `connect_error` included.
 */
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
export async function connectNamespace(
  manager: Manager,
  nsp: string,
  opts: Partial<SocketOptions> = {},
): Promise<Socket> {
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

/** Closes every client the test opened: socket.io-client sockets, engine.io-client sessions, raw WebSockets. */
export async function closeClients(): Promise<void> {
  for (const socket of clientSockets) socket.disconnect();
  clientSockets.clear();
  for (const socket of engineSockets) socket.close();
  engineSockets.clear();
  await closeWsClients();
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
