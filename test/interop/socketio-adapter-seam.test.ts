/**
 * Interop: socket.io-adapter's own classes run as the adapter, unchanged (the seam every
 * socket.io adapter package builds on): its in-memory `Adapter` for rooms, broadcasts, broadcasts
 * with acks, fetchSockets and outgoing listeners; its `SessionAwareAdapter` for connection state
 * recovery; and a subclass that encodes with socket.io-parser itself and writes with
 * `client.writeToEngine`. Run against parley and, with PARLEY_TEST_AGAINST=socket.io, socket.io.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ServerSocket } from 'socket.io';
import { Adapter, SessionAwareAdapter } from 'socket.io-adapter';
import { Encoder } from 'socket.io-parser';
import { cleanup, connectClient, startServer, waitFor, waitForArgs, whenConnected } from '../support/fixtures.js';

afterEach(cleanup);

async function serverWith(adapter: unknown, options: Record<string, unknown> = {}) {
  const server = await startServer(options);
  server.io.adapter(adapter as never);
  return server;
}

async function member(io: Awaited<ReturnType<typeof startServer>>['io'], url: string) {
  const connected = waitFor<ServerSocket>(io, 'connection');
  const client = await connectClient(url, { transports: ['websocket'] });
  return { client, socket: await connected };
}

describe("socket.io-adapter's in-memory Adapter as the adapter", () => {
  test('rooms, broadcasts and broadcasts with acks, fetchSockets and socketsJoin work through it', async () => {
    const { io, url } = await serverWith(Adapter);
    assert.ok(io.of('/').adapter instanceof Adapter);
    const joined: string[] = [];
    io.of('/').adapter.on('join-room', (room: string) => joined.push(room));
    const first = await member(io, url);
    const second = await member(io, url);
    first.socket.join('room');
    assert.ok(joined.includes('room'));
    assert.deepEqual([...first.socket.rooms].sort(), [first.socket.id, 'room'].sort());
    const inRoom = waitForArgs(first.client, 'news');
    io.to('room').emit('news', 1, Buffer.from([5]));
    const [n, bytes] = await inRoom;
    assert.equal(n, 1);
    assert.deepEqual([...(bytes as Uint8Array)], [5]);
    first.client.on('who', (ack: (v: string) => void) => ack('first'));
    second.client.on('who', (ack: (v: string) => void) => ack('second'));
    const answers = (await io.timeout(2000).emitWithAck('who')) as string[];
    assert.deepEqual(answers.sort(), ['first', 'second']);
    assert.deepEqual((await io.in('room').fetchSockets()).map((s) => s.id), [first.socket.id]);
    io.socketsJoin('all');
    assert.ok(second.socket.rooms.has('all'));
  });

  test("outgoing catch-all listeners see a broadcast it delivers", async () => {
    const { io, url } = await serverWith(Adapter);
    const { client, socket } = await member(io, url);
    const outgoing: unknown[][] = [];
    socket.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    const got = waitFor(client, 'hello');
    io.emit('hello', 'there');
    await got;
    assert.deepEqual(outgoing, [['hello', 'there']]);
  });
});

describe("socket.io-adapter's SessionAwareAdapter as the adapter", () => {
  test('a client whose connection dropped recovers its session and the events it missed', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 10_000 }, adapter: SessionAwareAdapter as never });
    const { client, socket } = await member(io, url);
    socket.join('room');
    const welcomed = waitFor(client, 'welcome');
    io.emit('welcome');
    await welcomed;
    const gone = waitFor(socket, 'disconnect');
    client.io.engine.close();
    await gone;
    io.to('room').emit('missed', 1);
    const missed = waitFor(client, 'missed');
    const back = waitFor<ServerSocket>(io, 'connection');
    client.connect();
    await whenConnected(client);
    const restored = await back;
    assert.equal(await missed, 1);
    assert.equal(restored.id, socket.id);
    assert.equal(client.recovered, true);
  });
});

describe('an adapter that encodes with socket.io-parser itself', () => {
  test('what it writes with client.writeToEngine reaches the client, binary included', async () => {
    const encoder = new Encoder();
    class OwnEncoding extends Adapter {
      override broadcast(packet: { type: number; data: unknown[]; nsp: string }, opts: Parameters<Adapter['broadcast']>[1]): void {
        packet.nsp = this.nsp.name;
        const encoded = encoder.encode(packet as never);
        for (const id of opts.rooms.size === 0 ? this.sids.keys() : (this.rooms.get([...opts.rooms][0]!) ?? [])) {
          const socket = this.nsp.sockets.get(id) as unknown as { client: { writeToEngine(p: unknown, o: unknown): void } } | undefined;
          socket?.client.writeToEngine(encoded, { preEncoded: true });
        }
      }
    }
    const { io, url } = await serverWith(OwnEncoding);
    const { client } = await member(io, url);
    const got = waitForArgs(client, 'raw');
    io.emit('raw', 'text', Buffer.from([1, 2, 3]));
    const [text, bytes] = await got;
    assert.equal(text, 'text');
    assert.deepEqual([...(bytes as Uint8Array)], [1, 2, 3]);
  });
});
