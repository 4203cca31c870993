/**
 * `query` and `extraHeaders` reach the server over every transport; an undecodable packet closes
 * with 'parse error'; a handshake that never comes is a connect_error 'timeout'; reserved names
 * and unencodable payloads are refused at emit.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { afterEach, test } from 'node:test';
import { type ClientOptions, WebSocket } from 'ws';
import { CLIENT_DEFAULTS, type ConnectError, type WebSocketConstructor } from '../../src/client/index.js';
import { EncodeError } from '../../src/index.js';
import { closeHttp, listenOnLoopback } from '../support/loopback.js';
import { deferred, waitFor } from '../support/waiting.js';
import { client, closeOfficialServers, connected, forEachSetup, startSocketIo4 } from './support.js';

afterEach(closeOfficialServers);

test("the defaults are socket.io-client's, plus the buffer bound", () => {
  assert.equal(CLIENT_DEFAULTS.path, '/socket.io/');
  assert.deepEqual(CLIENT_DEFAULTS.transports, ['polling', 'websocket']);
  assert.equal(CLIENT_DEFAULTS.reconnectionDelay, 1000);
  assert.equal(CLIENT_DEFAULTS.reconnectionDelayMax, 5000);
  assert.equal(CLIENT_DEFAULTS.randomizationFactor, 0.5);
  assert.equal(CLIENT_DEFAULTS.reconnectionAttempts, Number.POSITIVE_INFINITY);
  assert.equal(CLIENT_DEFAULTS.timeout, 20000);
  assert.equal(CLIENT_DEFAULTS.maxBufferedPackets, 1000);
  assert.ok(Object.isFrozen(CLIENT_DEFAULTS));
});

forEachSetup((setup) => {
  test('query and extraHeaders reach the server', async () => {
    const server = await startSocketIo4();
    const seen = deferred<{ query: unknown; header: unknown }>();
    server.io.on('connection', (s) =>
      seen.resolve({ query: s.handshake.query.room, header: s.handshake.headers['x-parley-test'] }),
    );
    const socket = client(`${server.url}/?room=from-url`, {
      ...setup.opts,
      query: { extra: '1' },
      extraHeaders: { 'x-parley-test': 'yes' },
    });
    await connected(socket, setup);
    assert.deepEqual(await seen.promise, { query: 'from-url', header: 'yes' });
  });

  test("an undecodable packet from the server closes with 'parse error'", async () => {
    const server = await startSocketIo4();
    server.io.on('connection', (s) => s.on('break', () => s.conn.write('9 is no packet type')));
    const socket = await connected(client(server.url, { ...setup.opts, reconnection: false }), setup);
    const reason = waitFor(socket, 'disconnect');
    socket.emit('break');
    assert.equal(await reason, 'parse error');
  });

  test('reserved event names and unencodable payloads are refused at emit', async () => {
    const server = await startSocketIo4();
    const socket = await connected(client(server.url, setup.opts), setup);
    assert.throws(() => socket.emit('connect'), /reserved event name/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(
      () => socket.emit('x', circular),
      (err: unknown) => err instanceof EncodeError,
    );
    await assert.rejects(socket.emitWithAck('x', 10n), (err: unknown) => err instanceof EncodeError);
    assert.equal(socket.connected, true);
  });
});

test('the WebSocket option is the constructor the client uses', async () => {
  const server = await startSocketIo4();
  const urls: string[] = [];
  class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
      super(url, protocols, options);
      urls.push(url);
    }
  }
  const socket = client(server.url, {
    transports: ['websocket'],
    WebSocket: CountingWebSocket as unknown as WebSocketConstructor,
  });
  await connected(socket);
  assert.equal(urls.length, 1);
  assert.match(urls[0]!, /^ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket$/);
});

test("a server that never answers the handshake is a connect_error 'timeout'", async () => {
  // Accepts requests and never answers them.
  const http = createServer(() => undefined);
  const port = await listenOnLoopback(http);
  try {
    const socket = client(`http://127.0.0.1:${port}`, { timeout: 100, reconnection: false });
    const err = await waitFor<ConnectError>(socket, 'connect_error');
    assert.equal(err.reason, 'timeout');
  } finally {
    await closeHttp(http);
  }
});
