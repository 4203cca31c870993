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
import WebSocket from 'ws';
import { type Namespace, Server, type ServerOptions, type Socket } from '../../src/index.js';
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
const plainPeers: PlainPeer[] = [];
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
  for (const peer of plainPeers.splice(0)) peer.ws.terminate();
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

/** A frame a plain client received. */
export type Incoming = { kind: 'text'; text: string; json: unknown } | { kind: 'binary'; data: Buffer };

/** How a plain client's connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/**
 * A plain WebSocket client (the `ws` package) that queues every frame it receives, so a test awaits
 * them in arrival order with `next()`.
 */
export class PlainPeer {
  readonly ws: WebSocket;
  /** Settles with the close code and reason once the connection is closed. */
  readonly closed: Promise<CloseInfo>;
  /** Settles once the connection opened; rejects when the handshake failed. */
  readonly opened: Promise<void>;
  private readonly queue: Incoming[] = [];
  private readonly waiters: Array<(frame: Incoming) => void> = [];

  /** Opens `url`, or adopts a `ws` client a test built itself (before any of its events). */
  constructor(url: string | WebSocket, options: WebSocket.ClientOptions = {}) {
    this.ws = typeof url === 'string' ? new WebSocket(url, options) : url;
    plainPeers.push(this);
    this.ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let frame: Incoming;
      if (isBinary) frame = { kind: 'binary', data: buffer };
      else {
        const text = buffer.toString('utf8');
        frame = { kind: 'text', text, json: JSON.parse(text) };
      }
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.queue.push(frame);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.ws.on('error', () => {});
  }

  /** The next frame received, guarded. */
  next(what = 'a frame'): Promise<Incoming> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    let waiter: ((frame: Incoming) => void) | undefined;
    const promise = new Promise<Incoming>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
    });
    return withTimeout(promise, what).catch((err: unknown) => {
      const index = waiter ? this.waiters.indexOf(waiter) : -1;
      if (index >= 0) this.waiters.splice(index, 1);
      throw err;
    });
  }

  /** The next frame, which must be a JSON text frame. */
  async nextJson(what = 'a JSON frame'): Promise<unknown> {
    const frame = await this.next(what);
    assert.equal(frame.kind, 'text', `expected a text frame for ${what}`);
    return frame.kind === 'text' ? frame.json : undefined;
  }

  /** The next frame, which must be a binary frame. */
  async nextBinary(what = 'a binary frame'): Promise<Buffer> {
    const frame = await this.next(what);
    assert.equal(frame.kind, 'binary', `expected a binary frame for ${what}`);
    return frame.kind === 'binary' ? frame.data : Buffer.alloc(0);
  }

  /** How many frames arrived and were not taken yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Sends a value as a JSON text frame. */
  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Closes the connection normally. */
  close(code = 1000): Promise<CloseInfo> {
    this.ws.close(code);
    return this.closed;
  }
}

/**
 * Opens a plain client and waits for the server's `connect` frame; returns the client and the id
 * of its server-side socket.
 */
export async function connectPlain(
  server: TestServer,
  query: Record<string, string> = {},
  options: WebSocket.ClientOptions = {},
): Promise<{ peer: PlainPeer; id: string }> {
  const peer = new PlainPeer(server.plainUrl(query), options);
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
