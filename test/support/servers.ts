/**
 * Servers for tests, on 127.0.0.1 and an ephemeral port with short heartbeats, and the cleanup that
 * checks they kept no session once their clients are gone.
 *
 * - `startServer(options)`: the server under test of the interop tests, parley or (with
 *   `PARLEY_TEST_AGAINST=socket.io`) the official socket.io, typed as socket.io.
 * - `startServer(options, PARLEY)`: parley itself with plain WebSocket clients accepted, for tests of
 *   parley's own features, typed as parley.
 * - `assertNoSessions(server)` (sessions.ts, re-exported): awaits the end of every session the
 *   server was seen to open, then asserts its session tables are empty.
 * - `cleanup()`: for `afterEach`: closes every client, checks and closes every server started.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { Server as ParleyServer, type ServerOptions as ParleyServerOptions } from '../../src/index.js';
import type { Socket as SUTServerSocket } from 'socket.io';
import { type ClientSocket, type ConnectOptions, closeClients, connectClient, type TransportSetup, whenServerUpgraded } from './clients.js';
import { type Server as SUTServer, Server as SUTServerClass, type ServerOptions as SUTOptions, serverKind } from './server-under-test.js';
import { closeHttp, listenOnLoopback } from './loopback.js';
import { assertNoSessions, type WatchableIo, watchSockets } from './sessions.js';
import { deferred, withTimeout } from './waiting.js';

export { assertNoSessions } from './sessions.js';

// ---------------------------------------------------------------------------------------------------------
// servers

interface Implementations {
  /** parley, or socket.io with `PARLEY_TEST_AGAINST=socket.io`; typed as socket.io. */
  'under-test': { io: SUTServer; options: SUTOptions };
  /** parley itself, plain WebSocket clients accepted unless the options say otherwise. */
  parley: { io: ParleyServer; options: Partial<ParleyServerOptions> };
}
export type Implementation = keyof Implementations;

export interface ServerSetup<K extends Implementation> {
  readonly implementation: K;
  /** Namespaces besides '/' whose sockets `assertNoSessions` awaits. */
  readonly namespaces?: readonly string[];
}

/** `startServer(options, PARLEY)`: parley itself. */
export const PARLEY: ServerSetup<'parley'> = { implementation: 'parley' };

export interface StartedServer<IO = SUTServer> {
  readonly io: IO;
  readonly httpServer: HttpServer;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT<path>` with `query`: a plain WebSocket client's URL, or with `EIO` an engine's. */
  wsUrl(query?: Record<string, string>): string;
  /** Closes every client, checks the server kept no session, closes it. */
  close(): Promise<void>;
}

interface Running {
  readonly io: SUTServer | ParleyServer;
  readonly httpServer: HttpServer;
  closed: boolean;
}
const running = new Set<Running>();

function createIo(http: HttpServer, implementation: Implementation, given: object): SUTServer | ParleyServer {
  if (implementation === 'parley') {
    const options: Partial<ParleyServerOptions> = { plainWebSocket: true, pingInterval: 200, pingTimeout: 200, ...given };
    return new ParleyServer(http, options);
  }
  const options: SUTOptions = { pingInterval: 300, pingTimeout: 200, ...given };
  if (serverKind === 'socket.io' && options.maxPayload !== undefined) {
    // socket.io only knows engine.io's name for it.
    options.maxHttpBufferSize ??= options.maxPayload;
    delete options.maxPayload;
  }
  return new SUTServerClass(http, options);
}

/**
 * Starts a server on 127.0.0.1 and an ephemeral port, with short heartbeats unless `options`
 * override them: pingInterval 300 ms / pingTimeout 200 ms for the server under test, 200 / 200 for
 * parley with `PARLEY`.
 */
export async function startServer<K extends Implementation = 'under-test'>(
  options: Implementations[K]['options'] = {},
  setup?: ServerSetup<K>,
): Promise<StartedServer<Implementations[K]['io']>> {
  const httpServer = createServer();
  const io = createIo(httpServer, setup?.implementation ?? 'under-test', options);
  const server: Running = { io, httpServer, closed: false };
  running.add(server);
  watchSockets(io as WatchableIo, setup?.namespaces);
  const port = await listenOnLoopback(httpServer);
  const path = io.path();
  return {
    io: io as Implementations[K]['io'],
    httpServer,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl(query = {}) {
      const search = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${port}${path}${search ? `?${search}` : ''}`;
    },
    close: async () => {
      await closeClients();
      await closeServer(server);
    },
  };
}

/**
 * The server under test and one official client connected to it over `setup`, with the client's
 * server-side socket. With `client.upgraded`, an upgrading setup has completed its upgrade on both
 * sides.
 */
export async function connectedPair(
  setup: TransportSetup,
  opts: { server?: SUTOptions; client?: ConnectOptions } = {},
): Promise<StartedServer & { client: ClientSocket; socket: SUTServerSocket }> {
  const server = await startServer(opts.server);
  const connection = deferred<SUTServerSocket>();
  server.io.on('connection', (s) => connection.resolve(s));
  const client = await connectClient(server.url, { setup, ...opts.client });
  const socket = await connection.promise;
  if (opts.client?.upgraded && setup.upgrades) await whenServerUpgraded(socket);
  return { ...server, client, socket };
}

async function closeServer(server: Running): Promise<void> {
  if (server.closed) return;
  server.closed = true;
  running.delete(server);
  const { io, httpServer } = server;
  try {
    await assertNoSessions(io);
  } finally {
    // io.close() also closes the attached http server; its callback waits for that.
    const ioClosed = new Promise<void>((resolve) => {
      (io as SUTServer).close(() => resolve());
    });
    // Whatever is still open (e.g. a hanging request to another path) must not keep the process alive.
    httpServer.closeAllConnections();
    await withTimeout(ioClosed, 'io.close() callback').catch(() => undefined);
    await withTimeout(closeHttp(httpServer), 'http server close');
  }
}

/**
 * Closes every client and server the test opened, asserting that no session was left on any server
 * once its clients are gone. Register with `afterEach(cleanup)`.
 */
export async function cleanup(): Promise<void> {
  await closeClients();
  const errors: unknown[] = [];
  for (const server of [...running]) {
    await closeServer(server).catch((err: unknown) => errors.push(err));
  }
  if (errors.length > 0) throw errors[0];
}
