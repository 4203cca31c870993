/**
 * The upstream going away under a connected client: killed and restarted (the client stays
 * connected, what it sent meanwhile arrives after the reconnection, up to the bound, past which it
 * gets `upstream_buffer_full`), gone for good (`upstream_lost`, close 1011), or unreachable when the
 * client connects (`upstream_unreachable`, close 1011).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { makeClient } from '../support/clients.js';
import { type StartedProcess, startProcess } from '../support/processes.js';
import { WsClient } from '../support/raw-clients.js';
import { cleanup } from '../support/servers.js';
import { waitFor, waitUntil, withTimeout } from '../support/waiting.js';
import { closeGateways, gatewayWsUrl, nextAck, nextEvent, plainClient, startTestGateway } from './support.js';

const upstreams = new Set<StartedProcess<number>>();

afterEach(async () => {
  await closeGateways();
  for (const upstream of upstreams) await upstream.stop('SIGKILL');
  upstreams.clear();
  await cleanup();
});

async function startUpstream(port = 0): Promise<StartedProcess<number>> {
  const started = await startProcess('test/fixtures/gateway-upstream.ts', {
    env: { PORT: String(port) },
    ready: (line) => {
      const match = /^LISTENING (\d+)$/.exec(line);
      return match ? Number(match[1]) : undefined;
    },
  });
  upstreams.add(started);
  return started;
}

async function kill(upstream: StartedProcess<number>): Promise<void> {
  await upstream.stop('SIGKILL');
  upstreams.delete(upstream);
}

/** A port nothing listens on (listened on, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('gateway: the upstream drops', () => {
  test('killed and restarted: the plain client stays connected; what it sent meanwhile arrives after the reconnection', async () => {
    let upstream = await startUpstream();
    const port = upstream.ready;
    const gateway = await startTestGateway(`http://127.0.0.1:${port}`);
    const client = await plainClient(gateway, { name: 'alice' });
    assert.equal((await nextEvent(client, 'hello')).data, 'alice');
    client.sendJson({ event: 'message', data: 'before', id: 1 });
    assert.deepEqual(await nextAck(client, 1), { ack: 1, data: { got: 'before' } });

    await kill(upstream);
    await waitUntil(() => gateway.stats.reconnecting === 1, 'the gateway to see the upstream drop');
    for (let id = 2; id <= 4; id++) client.sendJson({ event: 'message', data: `while down ${id}`, id });
    upstream = await startUpstream(port);

    // The reconnected session greets again (the forwarded query is the same), then the buffered
    // messages arrive in order.
    assert.equal((await nextEvent(client, 'hello', 'the greeting of the new session')).data, 'alice');
    for (let id = 2; id <= 4; id++)
      assert.deepEqual(await nextAck(client, id), { ack: id, data: { got: `while down ${id}` } });
    assert.equal(client.pending, 0, JSON.stringify(client.queued));
    assert.equal(gateway.stats.reconnections, 1);
    client.sendJson({ event: 'message', data: 'after', id: 5 });
    assert.deepEqual(await nextAck(client, 5), { ack: 5, data: { got: 'after' } });
  });

  test('past the bound, a message gets an upstream_buffer_full error frame and is dropped; the others arrive', async () => {
    let upstream = await startUpstream();
    const port = upstream.ready;
    const gateway = await startTestGateway(`http://127.0.0.1:${port}`, { maxBufferedMessages: 2 });
    const client = await plainClient(gateway);
    await nextEvent(client, 'hello');
    await kill(upstream);
    await waitUntil(() => gateway.stats.reconnecting === 1, 'the gateway to see the upstream drop');
    for (let id = 1; id <= 3; id++) client.sendJson({ event: 'message', data: id, id });
    const error = await nextEvent(client, 'error');
    assert.equal((error.data as { code: string }).code, 'upstream_buffer_full');
    assert.equal(typeof (error.data as { message: unknown }).message, 'string');
    upstream = await startUpstream(port);
    assert.deepEqual(await nextAck(client, 1), { ack: 1, data: { got: 1 } });
    assert.deepEqual(await nextAck(client, 2), { ack: 2, data: { got: 2 } });
    await nextEvent(client, 'hello');
    assert.equal(client.pending, 0, JSON.stringify(client.queued));
    assert.equal(gateway.stats.dropped, 1);
  });

  test('gone for good (reconnection attempts spent): upstream_lost error frame, then close 1011', async () => {
    const upstream = await startUpstream();
    const gateway = await startTestGateway(`http://127.0.0.1:${upstream.ready}`, { reconnectionAttempts: 2 });
    const client = await plainClient(gateway);
    await nextEvent(client, 'hello');
    await kill(upstream);
    const error = await nextEvent(client, 'error');
    assert.equal((error.data as { code: string }).code, 'upstream_lost');
    const closed = await withTimeout(client.closed, 'the close');
    assert.equal(closed.code, 1011);
    assert.equal(gateway.stats.bridges, 0);
  });

  test('unreachable when a plain client connects: connect, an upstream_unreachable error frame, close 1011 with a reason', async () => {
    const gateway = await startTestGateway(`http://127.0.0.1:${await deadPort()}`);
    const client = new WsClient(gatewayWsUrl(gateway));
    assert.equal(((await client.nextJson()) as { event: string }).event, 'connect');
    const error = (await client.nextJson()) as { event: string; data: { code: string; message: string } };
    assert.equal(error.event, 'error');
    assert.equal(error.data.code, 'upstream_unreachable');
    assert.match(error.data.message, /cannot be reached/);
    assert.deepEqual(await withTimeout(client.closed, 'the close'), { code: 1011, reason: 'upstream unreachable' });
    assert.equal(gateway.stats.bridges, 0);
  });

  test('unreachable when a Socket.IO client connects: an error event with the code, then a disconnect', async () => {
    const gateway = await startTestGateway(`http://127.0.0.1:${await deadPort()}`);
    const socket = makeClient(gateway.url, { path: gateway.options.listenPath, transports: ['websocket'], autoConnect: false });
    const errorEvent = waitFor(socket, 'error');
    const disconnected = waitFor(socket, 'disconnect');
    socket.connect();
    const error = (await withTimeout(errorEvent, 'the error event')) as { code: string };
    assert.equal(error.code, 'upstream_unreachable');
    assert.equal(await disconnected, 'transport close');
  });
});
