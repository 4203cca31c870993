/**
 * The caps of connection state recovery (parley's, on top of socket.io's duration): kept events by
 * count and bytes, kept sessions per namespace and per client address. When a cap pushes out what a
 * session needs, that session starts over rather than recovering with a hole. Official
 * socket.io-client (its recovery code) against parley.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ConnectionStateRecoveryOptions, Server, Socket } from '../../src/index.js';
import { type ClientSocket, connectClient, whenConnected } from '../support/clients.js';
import { cleanup, PARLEY, startServer } from '../support/servers.js';
import { waitFor } from '../support/waiting.js';

afterEach(cleanup);

const WEBSOCKET = { transports: ['websocket'] };

async function recoveryServer(recovery: Partial<ConnectionStateRecoveryOptions>) {
  return startServer({ connectionStateRecovery: recovery }, PARLEY);
}

/** A client connected over WebSocket that received one event, so it has an offset. */
async function connectWithOffset(io: Server, url: string): Promise<{ client: ClientSocket; socket: Socket }> {
  const connection = waitFor<Socket>(io, 'connection');
  const client = await connectClient(url, WEBSOCKET);
  const socket = await connection;
  const welcomed = waitFor(client, 'welcome');
  socket.emit('welcome');
  await welcomed;
  return { client, socket };
}

/** Drops the client's connection and waits until the server saw it go. */
async function drop(client: ClientSocket, socket: Socket): Promise<void> {
  const gone = waitFor(socket, 'disconnect');
  client.io.engine.close();
  await gone;
}

async function reconnect(io: Server, client: ClientSocket): Promise<Socket> {
  const connection = waitFor<Socket>(io, 'connection');
  client.connect();
  await whenConnected(client);
  return connection;
}

test('with maxPackets events kept, a session that missed exactly that many (its offset included) recovers', async () => {
  const { io, url } = await recoveryServer({ maxPackets: 3 });
  const { client, socket } = await connectWithOffset(io, url);
  await drop(client, socket);
  io.emit('missed', 1);
  io.emit('missed', 2);
  const received: unknown[] = [];
  client.on('missed', (n: unknown) => received.push(n));
  const back = await reconnect(io, client);
  assert.equal(back.recovered, true);
  const after = waitFor(client, 'after');
  back.emit('after');
  await after;
  assert.deepEqual(received, [1, 2]);
});

test('one more event than maxPackets pushes out the offset: the session starts over', async () => {
  const { io, url } = await recoveryServer({ maxPackets: 3 });
  const { client, socket } = await connectWithOffset(io, url);
  await drop(client, socket);
  for (const n of [1, 2, 3]) io.emit('missed', n);
  const back = await reconnect(io, client);
  assert.equal(back.recovered, false);
  assert.notEqual(back.id, socket.id);
});

test('events over maxPacketBytes push out the oldest: the session starts over', async () => {
  const { io, url } = await recoveryServer({ maxPacketBytes: 500 });
  const { client, socket } = await connectWithOffset(io, url);
  await drop(client, socket);
  io.emit('big', 'x'.repeat(400));
  io.emit('big', 'y'.repeat(400));
  const back = await reconnect(io, client);
  assert.equal(back.recovered, false);
});

test('beyond maxSessions the oldest disconnected session is forgotten', async () => {
  const { io, url } = await recoveryServer({ maxSessions: 1 });
  const first = await connectWithOffset(io, url);
  const second = await connectWithOffset(io, url);
  await drop(first.client, first.socket);
  await drop(second.client, second.socket);
  const secondBack = await reconnect(io, second.client);
  assert.equal(secondBack.recovered, true);
  assert.equal(secondBack.id, second.socket.id);
  const firstBack = await reconnect(io, first.client);
  assert.equal(firstBack.recovered, false);
});

test('maxSessions counts the sessions of every namespace of the server together', async () => {
  const { io, url } = await recoveryServer({ maxSessions: 1 });
  const main = await connectWithOffset(io, url);
  const adminConnection = waitFor<Socket>(io.of('/admin'), 'connection');
  const admin = await connectClient(url, { ...WEBSOCKET, nsp: '/admin' });
  const adminSocket = await adminConnection;
  const welcomed = waitFor(admin, 'welcome');
  adminSocket.emit('welcome');
  await welcomed;
  await drop(main.client, main.socket);
  await drop(admin, adminSocket);
  const mainBack = await reconnect(io, main.client);
  assert.equal(mainBack.recovered, false);
  const adminBack = waitFor<Socket>(io.of('/admin'), 'connection');
  admin.connect();
  await whenConnected(admin);
  assert.equal((await adminBack).recovered, true);
});

test('beyond maxSessionsPerAddress the address\'s oldest session is forgotten', async () => {
  const { io, url } = await recoveryServer({ maxSessionsPerAddress: 1 });
  const first = await connectWithOffset(io, url);
  const second = await connectWithOffset(io, url);
  await drop(first.client, first.socket);
  await drop(second.client, second.socket);
  const firstBack = await reconnect(io, first.client);
  assert.equal(firstBack.recovered, false);
  const secondBack = await reconnect(io, second.client);
  assert.equal(secondBack.recovered, true);
});

test('a session restores once: a second reconnection with the same pid and offset starts over', async () => {
  const { io, url } = await recoveryServer({});
  const { client, socket } = await connectWithOffset(io, url);
  const pid = (client as unknown as { _pid: string })._pid;
  const offset = (client as unknown as { _lastOffset: string })._lastOffset;
  await drop(client, socket);
  const back = await reconnect(io, client);
  assert.equal(back.recovered, true);
  // Someone else replays what the first client sent, while it is connected.
  const connection = waitFor<Socket>(io, 'connection');
  await connectClient(url, { ...WEBSOCKET, auth: { pid, offset } });
  const replayed = await connection;
  assert.equal(replayed.recovered, false);
  assert.notEqual(replayed.id, socket.id);
});

test('a missed event whose arguments the application made unencodable since is left out of the replay', async () => {
  const { io, url } = await recoveryServer({});
  const { client, socket } = await connectWithOffset(io, url);
  await drop(client, socket);
  const payload: Record<string, unknown> = { n: 1 };
  io.emit('missed', payload);
  io.emit('missed', { n: 2 });
  payload.self = payload;
  const received: unknown[] = [];
  client.on('missed', (value: { n: number }) => received.push(value.n));
  const back = await reconnect(io, client);
  assert.equal(back.recovered, true);
  const after = waitFor(client, 'after');
  back.emit('after');
  await after;
  assert.deepEqual(received, [2]);
});
