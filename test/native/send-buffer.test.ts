/**
 * The bounded send buffer of plain clients: a client that stops reading while the server keeps
 * emitting is disconnected with "send buffer full" once more than maxBufferedBytes wait for it;
 * volatile emits are dropped instead, and the connection stays.
 *
 * The client stops reading with `ws.pause()` (its TCP socket is paused), the server emits in one
 * synchronous burst, then the client resumes and reads what was accepted: always a prefix of the
 * burst, followed by the close frame.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import type { Frame, WsClient } from '../support/raw-clients.js';
import { withTimeout } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, disconnectReason, serverSocket } from './support.js';

afterEach(cleanup);

const MAX_BUFFERED = 64 * 1024;
const CHUNK = 'x'.repeat(32 * 1024);
/** 1500 × 32 KiB = 48 MiB: far more than socket buffers and the bound together. */
const BURST = 1500;

/** Emits the burst until the socket disconnects; returns how many emits were made. */
function burst(socket: Socket, volatile: boolean): number {
  let n = 0;
  while (n < BURST && socket.connected) {
    if (volatile) socket.volatile.emit('chunk', n, CHUNK);
    else socket.emit('chunk', n, CHUNK);
    n++;
  }
  return n;
}

/** Resumes the client and reads until the connection closes; returns the chunk numbers received. */
async function drain(peer: WsClient): Promise<{ received: number[]; code: number }> {
  assert.equal(peer.pending, 0);
  peer.ws.resume();
  // Nobody waits on the queue meanwhile: every frame received before the close is queued.
  const { code } = await withTimeout(peer.closed, 'the close after the accepted frames');
  const received: number[] = [];
  while (peer.pending > 0) received.push(chunkNumber(await peer.next()));
  return { received, code };
}

function chunkNumber(frame: Frame): number {
  assert.equal(typeof frame, 'string');
  const json = typeof frame === 'string' ? (JSON.parse(frame) as { event: string; args: [number, string] }) : undefined;
  assert.equal(json?.event, 'chunk');
  return json?.args[0] ?? -1;
}

test('a client that never reads is disconnected with "send buffer full" and cut at once (1006)', async () => {
  const server = await startServer({ plainWebSocket: { maxBufferedBytes: MAX_BUFFERED } }, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  const reason = disconnectReason(socket);
  peer.ws.pause();

  const emitted = burst(socket, false);
  assert.ok(emitted < BURST, 'the server kept buffering without bound');
  assert.equal(await reason, 'send buffer full');
  assert.equal(server.io.plain?.clientsCount, 0);

  // No close frame: it would wait behind the data the client does not read. What had already
  // reached the client's socket is still a prefix of the burst, in order.
  const { received, code } = await drain(peer);
  assert.equal(code, 1006);
  assert.ok(received.length < emitted);
  assert.deepEqual(
    received,
    received.map((_, i) => i),
    'a prefix of the burst, in order',
  );
});

test('volatile emits to a client that does not read are dropped; the connection stays', async () => {
  const server = await startServer({ plainWebSocket: { maxBufferedBytes: MAX_BUFFERED } }, PARLEY);
  const { peer, id } = await connectPlain(server);
  const socket = serverSocket(server.io, id);
  peer.ws.pause();

  assert.equal(burst(socket, true), BURST);
  assert.ok(socket.connected);
  assert.equal(server.io.plain?.clientsCount, 1);

  // Close after the burst: the client reads what was accepted, then the close frame.
  const reason = disconnectReason(socket);
  socket.disconnect();
  assert.equal(await reason, 'server namespace disconnect');
  const { received, code } = await drain(peer);
  assert.equal(code, 1000);
  assert.ok(received.length > 0);
  assert.ok(received.length < BURST, 'nothing was dropped');
  assert.deepEqual(
    received,
    received.map((_, i) => i),
  );
});

test('a broadcast to a stuck plain client and a reading one: only the stuck one is dropped', async () => {
  const server = await startServer({ plainWebSocket: { maxBufferedBytes: MAX_BUFFERED } }, PARLEY);
  const { peer: stuck, id: stuckId } = await connectPlain(server);
  const { peer: reader, id: readerId } = await connectPlain(server);
  const stuckReason = disconnectReason(serverSocket(server.io, stuckId));
  let readerGone: string | undefined;
  serverSocket(server.io, readerId).once('disconnect', (r: string) => {
    readerGone = r;
  });
  stuck.ws.pause();

  // The reading client drains between rounds; the stuck one cannot.
  let round = 0;
  while (server.io.plain?.clientsCount === 2 && round < BURST) {
    server.io.emit('chunk', round, CHUNK);
    await reader.next(`chunk ${round}`);
    round++;
  }
  assert.equal(await stuckReason, 'send buffer full');
  assert.equal(readerGone, undefined);
  server.io.emit('chunk', -1, 'after');
  assert.equal(chunkNumber(await reader.next()), -1);
});

test('the send bound defaults to the Engine.IO maxBufferedBytes', async () => {
  const server = await startServer({ maxBufferedBytes: 123_456 }, PARLEY);
  assert.equal(server.io.plain?.options.maxBufferedBytes, 123_456);
  const explicit = await startServer({ plainWebSocket: { maxBufferedBytes: 1000 } }, PARLEY);
  assert.equal(explicit.io.plain?.options.maxBufferedBytes, 1000);
});
