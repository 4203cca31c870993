/**
 * Helpers of the plain-WebSocket tests, on the shared fixtures (servers from test/support/servers.ts
 * with `PARLEY`, raw WebSocket clients from test/support/raw-clients.ts): a plain client that has its
 * connect frame, an official client over WebSocket, the server-side socket of a client.
 */
import assert from 'node:assert/strict';
import type { Server, Socket } from '../../src/index.js';
import { type ClientSocket, connectClient } from '../support/clients.js';
import { WsClient, type WsClientOptions } from '../support/raw-clients.js';
import type { StartedServer } from '../support/servers.js';
import { waitFor, withTimeout } from '../support/waiting.js';

export type { ClientSocket };

/** The parley server of these tests: `startServer(options, PARLEY)` from test/support/servers.ts. */
export type TestServer = StartedServer<Server>;

/**
 * Opens a plain client and waits for the server's `connect` frame; returns the client and the id
 * of its server-side socket.
 */
export async function connectPlain(
  server: TestServer,
  query: Record<string, string> = {},
  options: WsClientOptions = {},
): Promise<{ peer: WsClient; id: string }> {
  const peer = new WsClient(server.wsUrl(query), options);
  await withTimeout(peer.opened, 'the plain WebSocket to open');
  const frame = (await peer.nextJson('the connect frame')) as { event: string; data: { id: string } };
  assert.equal(frame.event, 'connect');
  assert.equal(typeof frame.data.id, 'string');
  return { peer, id: frame.data.id };
}

/** Opens an official socket.io client over WebSocket and waits until it is connected. */
export function connectSio(server: TestServer, nsp = '/'): Promise<ClientSocket> {
  return connectClient(server.url, { nsp, transports: ['websocket'] });
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
