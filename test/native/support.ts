/**
 * Fixtures for the plain-WebSocket tests: a parley server with `plainWebSocket` on, listening on an
 * ephemeral loopback port with a short heartbeat; plain `ws` clients whose frames are queued so a test
 * can await them in order; official socket.io clients; and a cleanup that closes everything, awaits
 * the server-side end of every connection and checks the server kept no session.
 *
 * Timeouts here are failure guards only: nothing sleeps.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { type Namespace, Server, type ServerOptions, type Socket } from '../../src/index.js';
import { closeWsClients, WsClient, type WsClientOptions } from '../support/raw-clients.js';
import { waitFor, withTimeout } from '../support/waiting.js';

export type { ClientSocket };

// ---------------------------------------------------------------------------------------------------
// server

export interface TestServer {
  io: Server;
  port: number;
  /** The URL of a plain WebSocket client, with its query parameters. */
  plainUrl(query?: Record<string, string>): string;
  /** The base URL of a socket.io client. */
  httpUrl: string;
}

interface Tracked {
  io: Server;
  /** Settles once the server-side socket and its connection have both ended. */
  ends: Promise<unknown>[];
}

const servers: Tracked[] = [];
const sioClients: ClientSocket[] = [];

/** Short heartbeat so ping-related behaviours show within a test. */
export const FAST_HEARTBEAT = { pingInterval: 200, pingTimeout: 200 } as const;

/**
 * A parley server with plain WebSocket clients accepted, on 127.0.0.1 and a free port. Sockets of '/'
 * and of every namespace in `namespaces` are tracked for the cleanup.
 */
export async function startServer(
  options: Partial<ServerOptions> = {},
  namespaces: readonly string[] = [],
): Promise<TestServer> {
  const http = createServer();
  const io = new Server(http, { plainWebSocket: true, ...FAST_HEARTBEAT, ...options });
  const tracked: Tracked = { io, ends: [] };
  servers.push(tracked);
  for (const name of ['/', ...namespaces]) track(tracked, io.of(name));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const path = io.path();
  return {
    io,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    plainUrl(query = {}) {
      const search = new URLSearchParams(query).toString();
      return `ws://127.0.0.1:${port}${path}${search ? `?${search}` : ''}`;
    },
  };
}

function track(tracked: Tracked, nsp: Namespace): void {
  nsp.on('connection', (socket: Socket) => {
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    const conn = socket.conn;
    const closed = conn.readyState === 'closed' ? undefined : new Promise((r) => conn.once('close', r));
    tracked.ends.push(disconnected);
    if (closed) tracked.ends.push(closed);
  });
}

/** Closes every client and server the test opened; checks the servers kept no session. */
export async function cleanup(): Promise<void> {
  await closeWsClients();
  for (const client of sioClients.splice(0)) client.disconnect();
  const all = servers.splice(0);
  try {
    for (const { io, ends } of all) {
      await withTimeout(Promise.all(ends), 'the server side of every connection to end');
      assert.equal(io.engine.clientsCount, 0, 'Engine.IO sessions left on the server');
      assert.equal(io.plain?.clientsCount ?? 0, 0, 'plain sessions left on the server');
    }
  } finally {
    for (const { io } of all) await io.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// clients

/**
 * Opens a plain client and waits for the server's `connect` frame; returns the client and the id
 * of its server-side socket.
 */
export async function connectPlain(
  server: TestServer,
  query: Record<string, string> = {},
  options: WsClientOptions = {},
): Promise<{ peer: WsClient; id: string }> {
  const peer = new WsClient(server.plainUrl(query), options);
  await withTimeout(peer.opened, 'the plain WebSocket to open');
  const frame = (await peer.nextJson('the connect frame')) as { event: string; data: { id: string } };
  assert.equal(frame.event, 'connect');
  assert.equal(typeof frame.data.id, 'string');
  return { peer, id: frame.data.id };
}

/** Opens an official socket.io client over WebSocket and waits until it is connected. */
export async function connectSio(server: TestServer, nsp = '/'): Promise<ClientSocket> {
  const client = ioClient(`${server.httpUrl}${nsp}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sioClients.push(client);
  await waitFor(client, 'connect');
  return client;
}

/** The server-side socket with this id in namespace `nsp`. */
export function serverSocket(io: Server, id: string, nsp = '/'): Socket {
  const socket = io.of(nsp).sockets.get(id);
  assert.ok(socket, `no server-side socket ${id} in ${nsp}`);
  return socket;
}

/** Awaits the server-side 'disconnect' of `socket` and returns its reason. */
export async function disconnectReason(socket: Socket): Promise<string> {
  return String(await waitFor(socket, 'disconnect'));
}
