/**
 * The gateway in front of parley's own server: a plain client's events, acks, binary and
 * disconnects reach the upstream socket and back; the handshake is forwarded; Socket.IO clients use
 * the same gateway URL; an upstream refusal is the client's refusal.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket } from '../../src/index.js';
import { connectClient, TRANSPORT_SETUPS } from '../support/clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { deferred, waitFor, withTimeout } from '../support/waiting.js';
import { WsClient } from '../support/raw-clients.js';
import { closeGateways, gatewayWsUrl, nextAck, nextEvent, plainClient, startTestGateway } from './support.js';

afterEach(async () => {
  await closeGateways();
  await cleanup();
});

/** A parley upstream and a gateway in front of it; `connected` resolves with each upstream socket. */
async function setup(options: Parameters<typeof startTestGateway>[1] = {}) {
  const upstream = await startServer({}, PARLEY);
  const sockets: Socket[] = [];
  let arrived = deferred<Socket>();
  upstream.io.on('connection', (socket) => {
    sockets.push(socket);
    arrived.resolve(socket);
  });
  const gateway = await startTestGateway(upstream.url, { path: upstream.io.path(), ...options });
  const nextSocket = async (): Promise<Socket> => {
    const socket = await withTimeout(arrived.promise, 'an upstream socket');
    arrived = deferred<Socket>();
    return socket;
  };
  return { upstream, gateway, sockets, nextSocket };
}

describe('gateway in front of parley', () => {
  test("the seed's plain snippet reaches the upstream as the event message", async () => {
    const { gateway, nextSocket } = await setup();
    const client = new WsClient(gatewayWsUrl(gateway));
    await client.opened;
    // Sent at once, before the connect frame: held while the upstream session opens.
    client.ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
    const socket = await nextSocket();
    const message = await waitFor(socket, 'message');
    assert.deepEqual(message, { type: 'text', content: 'Hello' });
    assert.equal(((await client.nextJson()) as { event: string }).event, 'connect');
  });

  test('an event with an id gets the upstream ack back as {"ack":N,...}; several args as args', async () => {
    const { gateway, nextSocket } = await setup();
    const client = await plainClient(gateway);
    const socket = await nextSocket();
    socket.on('join', (data: unknown, ack: (...a: unknown[]) => void) => ack({ joined: (data as { room: string }).room }));
    socket.on('pair', (ack: (...a: unknown[]) => void) => ack('left', 'right'));
    client.sendJson({ event: 'join', data: { room: 'dev' }, id: 3 });
    assert.deepEqual(await nextAck(client, 3), { ack: 3, data: { joined: 'dev' } });
    client.sendJson({ event: 'pair', id: 4 });
    assert.deepEqual(await nextAck(client, 4), { ack: 4, args: ['left', 'right'] });
  });

  test('upstream events reach the client; an upstream emitWithAck gets the client answer', async () => {
    const { gateway, nextSocket } = await setup();
    const client = await plainClient(gateway);
    const socket = await nextSocket();
    socket.emit('news', { title: 'hi' });
    socket.emit('move', 1, 2);
    assert.deepEqual(await nextEvent(client, 'news'), { event: 'news', data: { title: 'hi' } });
    assert.deepEqual(await nextEvent(client, 'move'), { event: 'move', args: [1, 2] });
    const answer = socket.timeout(2000).emitWithAck('question', 'ready?');
    const question = await nextEvent(client, 'question');
    assert.equal(question.data, 'ready?');
    assert.equal(typeof question.id, 'number');
    client.sendJson({ ack: question.id, data: 'yes' });
    assert.equal(await answer, 'yes');
  });

  test('binary both ways: a bare binary frame, attachments up, a Buffer down', async () => {
    const { gateway, nextSocket } = await setup();
    const client = await plainClient(gateway);
    const socket = await nextSocket();
    client.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await waitFor(socket, 'message'), Buffer.from([1, 2, 3]));
    const upload = waitFor<{ name: string; content: Buffer }>(socket, 'upload');
    client.sendJson({ event: 'upload', data: { name: 'a.bin', content: { _placeholder: true, num: 0 } }, attachments: 1 });
    client.send(Buffer.from([9, 8, 7]));
    const got = await upload;
    assert.equal(got.name, 'a.bin');
    assert.deepEqual(Buffer.from(got.content), Buffer.from([9, 8, 7]));
    socket.emit('file', Buffer.from([4, 5]));
    const envelope = await nextEvent(client, 'file');
    assert.deepEqual(envelope, { event: 'file', data: { _placeholder: true, num: 0 }, attachments: 1 });
    assert.deepEqual(await client.nextBinary('the attachment'), Buffer.from([4, 5]));
  });

  test('the client leaving disconnects its upstream socket; the upstream disconnecting closes the client (1000)', async () => {
    const { gateway, nextSocket } = await setup();
    const first = await plainClient(gateway);
    const firstSocket = await nextSocket();
    const gone = waitFor(firstSocket, 'disconnect');
    await first.close();
    assert.equal(await gone, 'client namespace disconnect');
    const second = await plainClient(gateway);
    const secondSocket = await nextSocket();
    secondSocket.disconnect();
    assert.equal((await withTimeout(second.closed, 'the client to be closed')).code, 1000);
  });

  test('query, --auth-from-query and chosen headers are forwarded; X-Forwarded-For carries the client', async () => {
    const { gateway, nextSocket } = await setup({ authFromQuery: ['name', 'token'] });
    await plainClient(gateway, { name: 'alice', token: 'abc', room: 'dev' }, { authorization: 'Bearer t0k', 'x-secret': 'no' });
    const socket = await nextSocket();
    assert.deepEqual(socket.handshake.auth, { name: 'alice', token: 'abc' });
    assert.equal(socket.handshake.query.name, 'alice');
    assert.equal(socket.handshake.query.room, 'dev');
    assert.equal(socket.handshake.headers.authorization, 'Bearer t0k');
    assert.equal(socket.handshake.headers['x-secret'], undefined);
    assert.equal(socket.handshake.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('without --auth-from-query a plain client sends no auth upstream, its query only', async () => {
    const { gateway, nextSocket } = await setup();
    await plainClient(gateway, { name: 'bob' });
    const socket = await nextSocket();
    assert.deepEqual(socket.handshake.auth, {});
    assert.equal(socket.handshake.query.name, 'bob');
  });

  test('an upstream middleware refusal reaches the plain client as connect_error, close 1008', async () => {
    const { upstream, gateway } = await setup();
    upstream.io.use((_socket, next) => next(Object.assign(new Error('not authorized'), { data: { reason: 'bad token' } })));
    const client = new WsClient(gatewayWsUrl(gateway));
    assert.deepEqual(await client.nextJson(), {
      event: 'connect_error',
      data: { message: 'not authorized', data: { reason: 'bad token' } },
    });
    assert.deepEqual(await withTimeout(client.closed, 'the close'), { code: 1008, reason: 'not authorized' });
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (gateway.stats.bridges === 0 ? resolve() : setTimeout(check, 5));
        check();
      }),
      'the bridge to be forgotten',
    );
  });

  test('an upstream refusing the reconnection: upstream_lost error frame, then close 1011', async () => {
    const { upstream, gateway, nextSocket } = await setup();
    let admitted = 0;
    upstream.io.use((_socket, next) => (admitted++ === 0 ? next() : next(new Error('token expired'))));
    const client = await plainClient(gateway);
    const socket = await nextSocket();
    // The transport drops (not a server-side disconnect): the gateway reconnects, and is refused.
    socket.conn.close();
    const error = await nextEvent(client, 'error');
    assert.deepEqual(error.data, {
      code: 'upstream_lost',
      message: 'the upstream server refused the reconnection: token expired',
    });
    assert.equal((await withTimeout(client.closed, 'the close')).code, 1011);
  });

  test('?nsp=/admin bridges to the upstream namespace /admin', async () => {
    const { upstream, gateway } = await setup();
    const arrived = deferred<Socket>();
    upstream.io.of('/admin').on('connection', (socket) => arrived.resolve(socket));
    const client = await plainClient(gateway, { nsp: '/admin', name: 'root' });
    const socket = await withTimeout(arrived.promise, 'the /admin socket');
    assert.equal(socket.nsp.name, '/admin');
    assert.equal(socket.handshake.query.nsp, undefined);
    socket.emit('hi', 'admin');
    assert.deepEqual(await nextEvent(client, 'hi'), { event: 'hi', data: 'admin' });
  });

  test('an ack the upstream never sends gives an upstream_ack_timeout error frame; the client stays', async () => {
    const { gateway, nextSocket } = await setup({ ackTimeoutMs: 100 });
    const client = await plainClient(gateway);
    const socket = await nextSocket();
    socket.on('ignored', () => undefined);
    client.sendJson({ event: 'ignored', id: 1 });
    const error = await nextEvent(client, 'error');
    assert.equal((error.data as { code: string }).code, 'upstream_ack_timeout');
    socket.emit('still', 'here');
    assert.deepEqual(await nextEvent(client, 'still'), { event: 'still', data: 'here' });
  });

  for (const transport of TRANSPORT_SETUPS) {
    test(`a Socket.IO client (${transport.name}) uses the same gateway URL: auth, events, acks`, async () => {
      const { gateway, nextSocket } = await setup();
      const client = await connectClient(gateway.url, {
        setup: transport,
        path: gateway.options.listenPath,
        auth: { token: 'xyz' },
      });
      const socket = await nextSocket();
      assert.deepEqual(socket.handshake.auth, { token: 'xyz' });
      socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
      assert.equal(await client.timeout(2000).emitWithAck('echo', 'round'), 'round');
      const news = waitFor(client, 'news');
      socket.emit('news', 42);
      assert.equal(await news, 42);
    });
  }
});
