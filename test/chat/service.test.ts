/** The chat service end to end: Socket.IO clients and plain WebSocket clients in the same rooms. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { RunningChat } from '../../src/chat/server.js';
import type { StoredMessage } from '../../src/chat/store.js';
import { waitFor } from '../support/waiting.js';
import { assertNoSessions } from '../support/sessions.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

let chat: RunningChat | undefined;
const sioClients: ClientSocket[] = [];
const plainClients: PlainChatClient[] = [];

async function start(options: Parameters<typeof startChat>[0] = {}): Promise<RunningChat> {
  chat = await startChat(options);
  return chat;
}

async function sio(auth: Record<string, unknown> = {}): Promise<ClientSocket> {
  const client = await socketIoClient(chat!, auth);
  sioClients.push(client);
  return client;
}

async function plain(query: Record<string, string> = {}): Promise<PlainChatClient> {
  const client = await PlainChatClient.open(chat!, query);
  plainClients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of sioClients.splice(0)) client.disconnect();
  for (const client of plainClients.splice(0)) await client.close();
  if (chat) {
    await assertNoSessions(chat.io);
    await chat.close();
    chat = undefined;
  }
});

function isMessage(value: unknown): value is StoredMessage {
  const m = value as StoredMessage;
  return typeof m?.id === 'number' && typeof m.content === 'string' && typeof m.ts === 'number';
}

describe('chat: Socket.IO and plain WebSocket clients in one room', () => {
  test('a message from a Socket.IO client reaches a plain client, and back, with the stored shape', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const bob = await plain({ name: 'bob' });

    const aliceSees = waitFor<StoredMessage>(alice, 'message');
    const ack = await alice.emitWithAck('message', { type: 'text', content: 'hi bob' });
    assert.equal(ack.ok, true);
    const toBob = (await bob.event('message')) as StoredMessage;
    assert.deepEqual(Object.keys(toBob).sort(), ['content', 'from', 'fromId', 'id', 'room', 'ts', 'type']);
    assert.equal(toBob.id, ack.id);
    assert.equal(toBob.from, 'alice');
    assert.equal(toBob.room, 'lobby');
    assert.deepEqual(await aliceSees, toBob, 'the sender receives its own message too');

    const toAlice = waitFor<StoredMessage>(alice, 'message');
    const bobAck = await bob.request('message', { type: 'text', content: 'hi alice', room: 'lobby' });
    assert.equal(bobAck.ok, true);
    const received = await toAlice;
    assert.equal(received.from, 'bob');
    assert.equal(received.content, 'hi alice');
    assert.ok(received.id > toBob.id, 'ids increase');
  });

  test("the seed's exact plain snippet is stored and delivered as a message event", async () => {
    await start();
    const watcher = await sio({ name: 'watcher' });
    const seedClient = await plain({ name: 'mobile' });
    const delivered = waitFor<StoredMessage>(watcher, 'message');
    seedClient.ws.send(JSON.stringify({ type: 'text', content: 'Hello' }));
    const message = await delivered;
    assert.equal(message.content, 'Hello');
    assert.equal(message.type, 'text');
    assert.equal(message.from, 'mobile');
    assert.ok(isMessage(await seedClient.event('message')));
  });

  test('a name defaults to guest-<n> and comes from auth.name or ?name=', async () => {
    await start();
    const anonymous = await sio();
    const named = await plain({ name: '  Zoë  ' });
    const join = await named.request('join', { room: 'names' });
    assert.deepEqual(
      (join.members as { name: string }[]).map((m) => m.name),
      ['Zoë'],
    );
    const ack = await anonymous.emitWithAck('join', { room: 'names' });
    const names = (ack.members as { name: string }[]).map((m) => m.name);
    assert.equal(names.length, 2);
    assert.ok(names.some((n) => /^guest-\d+$/.test(n)), `no guest name in ${names}`);
  });

  test('join and leave answer with members and history, and push presence to the room', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const bob = await plain({ name: 'bob' });
    await alice.emitWithAck('join', { room: 'dev' });
    await alice.emitWithAck('message', { type: 'text', content: 'first', room: 'dev' });

    const presence = waitFor<{ room: string; members: { name: string }[] }>(alice, 'presence');
    const joined = await bob.request('join', { room: 'dev' });
    assert.equal(joined.ok, true);
    assert.equal(joined.room, 'dev');
    assert.deepEqual(
      (joined.members as { name: string }[]).map((m) => m.name),
      ['alice', 'bob'],
    );
    assert.deepEqual(
      (joined.history as StoredMessage[]).map((m) => m.content),
      ['first'],
    );
    const seen = await presence;
    assert.equal(seen.room, 'dev');
    assert.deepEqual(
      seen.members.map((m) => m.name),
      ['alice', 'bob'],
    );

    const afterLeave = waitFor<{ members: { name: string }[] }>(alice, 'presence');
    const left = await bob.request('leave', { room: 'dev' });
    assert.equal(left.ok, true);
    assert.deepEqual(
      (left.members as { name: string }[]).map((m) => m.name),
      ['alice'],
    );
    assert.deepEqual(
      (await afterLeave).members.map((m) => m.name),
      ['alice'],
    );
  });

  test('a message to one room never reaches members of another', async () => {
    await start();
    const inA = await sio({ name: 'a' });
    const inB = await plain({ name: 'b' });
    await inA.emitWithAck('join', { room: 'room-a' });
    await inB.request('join', { room: 'room-b' });
    const leaked: unknown[] = [];
    inA.on('message', (m: StoredMessage) => {
      if (m.room !== 'room-a') leaked.push(m);
    });
    await inB.request('message', { type: 'text', content: 'only b', room: 'room-b' });
    // A message the other way, after it: when it arrives, the earlier one would have too.
    await inA.emitWithAck('message', { type: 'text', content: 'only a', room: 'room-a' });
    const own = await inB.take((f) => f.event === 'message' && (f.data as StoredMessage).room === 'room-b');
    assert.equal((own.data as StoredMessage).content, 'only b');
    assert.equal(
      inB.frames.some((f) => f.event === 'message' && (f.data as StoredMessage).room === 'room-a'),
      false,
    );
    assert.deepEqual(leaked, []);
  });

  test('typing is relayed to the others in the room, not to the sender', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const bob = await plain({ name: 'bob' });
    const typing = await bob.event('presence').then(() => bob.request('typing', { room: 'lobby' }));
    assert.equal(typing.ok, true);
    const relayed = await waitFor<{ room: string; from: string }>(alice, 'typing');
    assert.deepEqual(relayed, { room: 'lobby', from: 'bob' });
    assert.equal(
      bob.frames.some((f) => f.event === 'typing'),
      false,
    );
  });
});

describe('chat: history and missed messages', () => {
  test('history pages go back by id with before and limit, and forward with after', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await alice.emitWithAck('message', { type: 'text', content: `m${i}` })).id);
    }
    const newest = await alice.emitWithAck('history', { room: 'lobby', limit: 3 });
    assert.deepEqual(
      newest.messages.map((m: StoredMessage) => m.content),
      ['m4', 'm5', 'm6'],
    );
    assert.equal(newest.hasMore, true);
    const older = await alice.emitWithAck('history', { room: 'lobby', before: newest.messages[0].id, limit: 3 });
    assert.deepEqual(
      older.messages.map((m: StoredMessage) => m.content),
      ['m1', 'm2', 'm3'],
    );
    const oldest = await alice.emitWithAck('history', { room: 'lobby', before: older.messages[0].id, limit: 3 });
    assert.deepEqual(
      oldest.messages.map((m: StoredMessage) => m.content),
      ['m0'],
    );
    assert.equal(oldest.hasMore, false);
    const after = await alice.emitWithAck('history', { room: 'lobby', after: ids[4] });
    assert.deepEqual(
      after.messages.map((m: StoredMessage) => m.content),
      ['m5', 'm6'],
    );
  });

  test('a client reconnecting with auth.lastId (or ?lastId=) receives every message it missed', async () => {
    await start();
    const writer = await sio({ name: 'writer' });
    const first = await writer.emitWithAck('message', { type: 'text', content: 'seen' });
    for (const content of ['missed 1', 'missed 2', 'missed 3']) {
      await writer.emitWithAck('message', { type: 'text', content });
    }
    const replayed: string[] = [];
    let allReplayed!: () => void;
    const done = new Promise<void>((resolve) => {
      allReplayed = resolve;
    });
    const back = await socketIoClient(chat!, { name: 'back', lastId: first.id }, (client) =>
      client.on('message', (m: StoredMessage) => {
        replayed.push(m.content);
        if (replayed.length === 3) allReplayed();
      }),
    );
    sioClients.push(back);
    await done;
    assert.deepEqual(replayed, ['missed 1', 'missed 2', 'missed 3']);

    const plainBack = await plain({ name: 'p', lastId: String(first.id) });
    const plainReplayed = [];
    for (let i = 0; i < 3; i++) plainReplayed.push(((await plainBack.event('message')) as StoredMessage).content);
    assert.deepEqual(plainReplayed, ['missed 1', 'missed 2', 'missed 3']);
  });
});
