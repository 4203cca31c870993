/**
 * The gateway in front of the official socket.io server (package `socket.io`): events and acks
 * both ways, binary both ways, the handshake forwarded, a server-side disconnect closing the client.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { Server, type Socket } from 'socket.io';
import { cleanup } from '../support/servers.js';
import { deferred, waitFor, withTimeout } from '../support/waiting.js';
import { closeGateways, nextAck, nextEvent, plainClient, startTestGateway } from './support.js';

const servers = new Set<Server>();

afterEach(async () => {
  await closeGateways();
  for (const io of servers) await io.close();
  servers.clear();
  await cleanup();
});

async function socketIoUpstream() {
  const http = createServer();
  const io = new Server(http, { path: '/ws/chat/' });
  servers.add(io);
  let arrived = deferred<Socket>();
  io.on('connection', (socket) => arrived.resolve(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    io,
    url,
    async nextSocket(): Promise<Socket> {
      const socket = await withTimeout(arrived.promise, 'a socket.io socket');
      arrived = deferred<Socket>();
      return socket;
    },
  };
}

describe('gateway in front of socket.io', () => {
  test('events and acks both ways, the handshake forwarded', async () => {
    const upstream = await socketIoUpstream();
    const gateway = await startTestGateway(upstream.url, { path: '/ws/chat/', authFromQuery: ['name'] });
    const client = await plainClient(gateway, { name: 'carol' });
    const socket = await upstream.nextSocket();
    assert.deepEqual(socket.handshake.auth, { name: 'carol' });
    assert.equal(socket.handshake.query.name, 'carol');
    socket.on('join', (data: { room: string }, ack: (a: unknown) => void) => ack({ joined: data.room }));
    client.sendJson({ event: 'join', data: { room: 'dev' }, id: 7 });
    assert.deepEqual(await nextAck(client, 7), { ack: 7, data: { joined: 'dev' } });
    const seen = waitFor(socket, 'message');
    client.ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
    assert.deepEqual(await seen, { type: 'text', content: 'Hello' });
    const answer = socket.timeout(2000).emitWithAck('question', 'ready?');
    const question = await nextEvent(client, 'question');
    client.sendJson({ ack: question.id, args: ['yes', 1] });
    assert.deepEqual(await answer, 'yes');
  });

  test('binary both ways', async () => {
    const upstream = await socketIoUpstream();
    const gateway = await startTestGateway(upstream.url, { path: '/ws/chat/' });
    const client = await plainClient(gateway);
    const socket = await upstream.nextSocket();
    const bytes = waitFor<Buffer>(socket, 'message');
    client.send(Buffer.from('raw bytes'));
    assert.equal(Buffer.from(await bytes).toString(), 'raw bytes');
    socket.emit('file', { name: 'b.bin', content: Buffer.from([0xde, 0xad]) });
    const envelope = await nextEvent(client, 'file');
    assert.deepEqual(envelope, {
      event: 'file',
      data: { name: 'b.bin', content: { _placeholder: true, num: 0 } },
      attachments: 1,
    });
    assert.deepEqual(await client.nextBinary('the attachment'), Buffer.from([0xde, 0xad]));
  });

  test('socket.disconnect() upstream closes the plain client with 1000', async () => {
    const upstream = await socketIoUpstream();
    const gateway = await startTestGateway(upstream.url, { path: '/ws/chat/' });
    const client = await plainClient(gateway);
    const socket = await upstream.nextSocket();
    socket.disconnect();
    assert.equal((await withTimeout(client.closed, 'the close')).code, 1000);
  });
});
