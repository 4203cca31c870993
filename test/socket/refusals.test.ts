/**
 * A namespace refusal (CONNECT_ERROR) is written in one place for both kinds of client: its message
 * and data, or the message alone when the data cannot be encoded (a circular object), so the
 * client is always told instead of being left waiting.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { io as ioClient } from 'socket.io-client';
import type { ConnectError } from '../../src/index.js';
import { withTimeout } from '../support/waiting.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup, startServer } from '../native/support.js';

afterEach(cleanup);

/** Resolves once the server holds no Engine.IO session (a refused client that disconnected). */
async function noSessions(server: { io: { engine: { clientsCount: number } } }): Promise<void> {
  await withTimeout(
    (async () => {
      while (server.io.engine.clientsCount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    'the refused session to close',
  );
}

function refusalWithCircularData(): ConnectError {
  const data: Record<string, unknown> = { reason: 'loop' };
  data.self = data;
  return Object.assign(new Error('not allowed'), { data });
}

test('a Socket.IO client refused with unencodable data gets connect_error with the message', async () => {
  const server = await startServer();
  server.io.use((_socket, next) => next(refusalWithCircularData()));
  const client = ioClient(server.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const err = await withTimeout(
      new Promise<Error & { data?: unknown }>((resolve) => client.once('connect_error', resolve)),
      'connect_error',
    );
    assert.equal(err.message, 'not allowed');
    assert.equal(err.data, undefined);
  } finally {
    client.disconnect();
  }
  await noSessions(server);
});

test('a plain client refused with unencodable data gets the connect_error frame, then 1008', async () => {
  const server = await startServer();
  server.io.use((_socket, next) => next(refusalWithCircularData()));
  const peer = new WsClient(server.plainUrl());
  assert.deepEqual(await peer.nextJson('the connect_error frame'), {
    event: 'connect_error',
    data: { message: 'not allowed' },
  });
  const closed = await withTimeout(peer.closed, 'the close');
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, 'not allowed');
});

test('a refusal with encodable data carries it, on both kinds of client', async () => {
  const server = await startServer();
  server.io.use((_socket, next) => next(Object.assign(new Error('nope'), { data: { retry: false } })));
  const peer = new WsClient(server.plainUrl());
  assert.deepEqual(await peer.nextJson('the connect_error frame'), {
    event: 'connect_error',
    data: { message: 'nope', data: { retry: false } },
  });
  const client = ioClient(server.httpUrl, { transports: ['polling'], reconnection: false, forceNew: true });
  try {
    const err = await withTimeout(
      new Promise<Error & { data?: unknown }>((resolve) => client.once('connect_error', resolve)),
      'connect_error',
    );
    assert.deepEqual([err.message, err.data], ['nope', { retry: false }]);
  } finally {
    client.disconnect();
  }
  await noSessions(server);
});
