/**
 * A namespace refusal (CONNECT_ERROR) is written in one place for both kinds of client: its message
 * and data, or the message alone when the data cannot be encoded (a circular object), so the
 * client is always told instead of being left waiting.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ConnectError } from '../../src/index.js';
import { makeClient } from '../support/clients.js';
import { WsClient } from '../support/raw-clients.js';
import { assertNoSessions, cleanup, PARLEY, startServer } from '../support/servers.js';
import { waitFor, withTimeout } from '../support/waiting.js';

afterEach(cleanup);

function refusalWithCircularData(): ConnectError {
  const data: Record<string, unknown> = { reason: 'loop' };
  data.self = data;
  return Object.assign(new Error('not allowed'), { data });
}

test('a Socket.IO client refused with unencodable data gets connect_error with the message', async () => {
  const server = await startServer({}, PARLEY);
  server.io.use((_socket, next) => next(refusalWithCircularData()));
  const client = makeClient(server.url, { transports: ['websocket'] });
  try {
    const err = await waitFor<Error & { data?: unknown }>(client, 'connect_error');
    assert.equal(err.message, 'not allowed');
    assert.equal(err.data, undefined);
  } finally {
    client.disconnect();
  }
  // The refused session closes once its client leaves.
  await assertNoSessions(server.io);
});

test('a plain client refused with unencodable data gets the connect_error frame, then 1008', async () => {
  const server = await startServer({}, PARLEY);
  server.io.use((_socket, next) => next(refusalWithCircularData()));
  const peer = new WsClient(server.wsUrl());
  assert.deepEqual(await peer.nextJson('the connect_error frame'), {
    event: 'connect_error',
    data: { message: 'not allowed' },
  });
  const closed = await withTimeout(peer.closed, 'the close');
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, 'not allowed');
});

test('a refusal with encodable data carries it, on both kinds of client', async () => {
  const server = await startServer({}, PARLEY);
  server.io.use((_socket, next) => next(Object.assign(new Error('nope'), { data: { retry: false } })));
  const peer = new WsClient(server.wsUrl());
  assert.deepEqual(await peer.nextJson('the connect_error frame'), {
    event: 'connect_error',
    data: { message: 'nope', data: { retry: false } },
  });
  const client = makeClient(server.url, { transports: ['polling'] });
  try {
    const err = await waitFor<Error & { data?: unknown }>(client, 'connect_error');
    assert.deepEqual([err.message, err.data], ['nope', { retry: false }]);
  } finally {
    client.disconnect();
  }
  // The refused session closes once its client leaves.
  await assertNoSessions(server.io);
});
