/**
 * Type-level checks of the client: this file must typecheck (`npm test` runs tsc first), and every
 * `@ts-expect-error` must still be an error. The runtime part only makes sure it loads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectError, DisconnectReason, Socket } from '../../src/client/index.js';

interface ServerToClient {
  news: (headline: string, priority: number) => void;
}
interface ClientToServer {
  chat: (text: string, ack: (reply: { ok: boolean }) => void) => void;
  ping: () => void;
}

function checks(socket: Socket<ServerToClient, ClientToServer>): void {
  socket.emit('chat', 'hi', (reply) => reply.ok);
  socket.emit('ping');
  // @ts-expect-error wrong argument type
  socket.emit('chat', 42, () => undefined);
  // @ts-expect-error not an event of the map
  socket.emit('nope');
  socket.timeout(100).emit('chat', 'hi', (err, reply) => err ?? reply.ok);
  socket.on('news', (headline, priority) => headline.length + priority);
  // @ts-expect-error priority is a number
  socket.on('news', (_headline: string, priority: string) => priority);
  socket.on('connect_error', (err: ConnectError) => err.reason);
  socket.on('disconnect', (reason: DisconnectReason) => reason);
}

test('the client typed-event checks compile', () => {
  assert.equal(typeof checks, 'function');
});
