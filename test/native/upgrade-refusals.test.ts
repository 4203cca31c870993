/**
 * Which upgrades become plain WebSocket clients: with `plainWebSocket` off (the default) an upgrade
 * without `EIO` gets Engine.IO's 400 answer; `allowRequest` refuses plain upgrades with 403 like any
 * other; upgrades carrying `EIO` stay Engine.IO's.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, test } from 'node:test';
import { WsClient } from '../support/raw-clients.js';
import { withTimeout } from '../support/waiting.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { connectPlain, connectSio, type TestServer } from './support.js';

afterEach(cleanup);

interface UpgradeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A WebSocket upgrade request to `path`; resolves with the HTTP answer when it is not a 101. */
async function rawUpgrade(server: TestServer, path: string): Promise<UpgradeAnswer | 'switched'> {
  const client = new WsClient(`ws://127.0.0.1:${server.port}${path}`);
  const outcome = await withTimeout(
    Promise.race([client.opened.then(() => 'switched' as const), client.refused]),
    `the answer to ${path}`,
  );
  if (outcome === 'switched') {
    client.terminate();
    return outcome;
  }
  const { status, headers, body } = outcome;
  return { status, headers, body: body ? JSON.parse(body) : body };
}

test('plainWebSocket off (default): a plain upgrade gets the Engine.IO 400 answer', async () => {
  const server = await startServer({ plainWebSocket: false }, PARLEY);
  assert.equal(server.io.plain, undefined);
  const path = server.io.path();

  const bare = await rawUpgrade(server, path);
  assert.notEqual(bare, 'switched');
  if (bare === 'switched') return;
  assert.equal(bare.status, 400);
  assert.match(String(bare.headers['content-type']), /application\/json/);
  assert.deepEqual(bare.body, { code: 0, message: 'Transport unknown' });

  const withQuery = await rawUpgrade(server, `${path}?nsp=/&token=x`);
  assert.ok(withQuery !== 'switched');
  assert.equal(withQuery.status, 400);
  assert.deepEqual(withQuery.body, bare.body);

  const noVersion = await rawUpgrade(server, `${path}?transport=websocket`);
  assert.ok(noVersion !== 'switched');
  assert.equal(noVersion.status, 400);
  assert.deepEqual(noVersion.body, { code: 5, message: 'Unsupported protocol version' });
  assert.equal(server.io.engine.clientsCount, 0);
});

test('the default of the option is off', async () => {
  const server = await startServer({ plainWebSocket: undefined }, PARLEY);
  assert.equal(server.io.plain, undefined);
  const answer = await rawUpgrade(server, server.io.path());
  assert.ok(answer !== 'switched');
  assert.equal(answer.status, 400);
});

test('plainWebSocket off: ws sees the refusal as an unexpected response', async () => {
  const server = await startServer({ plainWebSocket: false }, PARLEY);
  const client = new WsClient(server.wsUrl());
  const { status } = await withTimeout(client.refused, 'the refusal');
  assert.equal(status, 400);
});

test('plainWebSocket on: socket.io clients (upgrades with EIO) are still Engine.IO sessions', async () => {
  const server = await startServer({}, PARLEY);
  const sio = await connectSio(server);
  await connectPlain(server);
  assert.equal(server.io.engine.clientsCount, 1);
  assert.equal(server.io.plain?.clientsCount, 1);
  assert.ok(sio.connected);
  // An upgrade with an unsupported EIO is refused by Engine.IO, not taken as plain.
  const old = await rawUpgrade(server, `${server.io.path()}?EIO=3&transport=websocket`);
  assert.ok(old !== 'switched');
  assert.deepEqual(old.body, { code: 5, message: 'Unsupported protocol version' });
});

test('allowRequest returning false refuses plain upgrades with 403', async () => {
  const seen: string[] = [];
  const server = await startServer({
    allowRequest: (req, callback) => {
      seen.push(req.url ?? '');
      callback(null, new URL(req.url ?? '/', 'http://x').searchParams.get('token') === 'ok');
    },
  }, PARLEY);
  const refused = await rawUpgrade(server, `${server.io.path()}?token=nope`);
  assert.ok(refused !== 'switched');
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, { code: 4, message: 'Forbidden' });
  assert.equal(server.io.plain?.clientsCount, 0);

  await connectPlain(server, { token: 'ok' });
  assert.equal(seen.length, 2);
  assert.match(seen[0] ?? '', /token=nope/);
});

test("allowRequest's error message is the message of the 403 body", async () => {
  const server = await startServer({ allowRequest: (_req, callback) => callback('banned', false) }, PARLEY);
  const refused = await rawUpgrade(server, server.io.path());
  assert.ok(refused !== 'switched');
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, { code: 4, message: 'banned' });
});

test('an asynchronous allowRequest is awaited before accepting', async () => {
  const server = await startServer({
    allowRequest: (_req, callback) => {
      setImmediate(() => callback(null, true));
    },
  }, PARLEY);
  await connectPlain(server);
  assert.equal(server.io.plain?.clientsCount, 1);
});

test('plain clients follow a custom path; other paths are not answered', async () => {
  const server = await startServer({ path: '/ws/chat/' }, PARLEY);
  assert.equal(server.io.path(), '/ws/chat/');
  await connectPlain(server, { name: 'alice' });
  await assert.rejects(
    rawUpgrade(server, '/socket.io/'),
    (err: Error) => /socket hang up|ECONNRESET/.test(err.message),
  );
});
