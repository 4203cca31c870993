/** The chat service end to end: Socket.IO clients and plain WebSocket clients in the same rooms. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { RunningChat } from '../../src/chat/server.js';
import type { StoredMessage } from '../../src/chat/store.js';
import { waitFor } from '../support/waiting.js';
import { assertNoSessions } from '../support/sessions.js';
import { MemberView, PlainChatClient, socketIoClient, startChat } from './support.js';

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

  test('a join is answered with the members once; the room hears deltas of who joined and left', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const aliceView = MemberView.of(alice);
    const bob = await plain({ name: 'bob' });
    const aliceJoin = await alice.emitWithAck('join', { room: 'dev' });
    assert.deepEqual(aliceJoin.members, [{ id: alice.id, name: 'alice' }]);
    assert.equal(aliceJoin.count, 1);
    await alice.emitWithAck('message', { type: 'text', content: 'first', room: 'dev' });

    const joined = await bob.request('join', { room: 'dev' });
    assert.equal(joined.ok, true);
    assert.equal(joined.room, 'dev');
    assert.deepEqual(joined.members, [
      { id: alice.id, name: 'alice' },
      { id: bob.id, name: 'bob' },
    ]);
    assert.equal(joined.count, 2);
    assert.deepEqual(
      (joined.history as StoredMessage[]).map((m) => m.content),
      ['first'],
    );
    // Alice hears of bob as a delta, not as a new full list.
    await aliceView.until((v) => v.names('dev').includes('bob'), 'alice to hear bob joined dev');
    const delta = aliceView.events.find((e) => e.room === 'dev' && e.joined?.some((m) => m.id === bob.id));
    // Alice's own arrival a moment before may share the delta: changes are gathered per window.
    assert.deepEqual(delta?.joined?.at(-1), { id: bob.id, name: 'bob' });
    assert.deepEqual(delta?.left, []);
    assert.equal(delta?.count, 2);
    assert.ok(aliceView.events.every((e) => e.members === undefined || e.room === 'lobby'), 'no full list for dev');

    const left = await bob.request('leave', { room: 'dev' });
    assert.deepEqual(left, { ok: true, room: 'dev' });
    await aliceView.until((v) => !v.names('dev').includes('bob'), 'alice to hear bob left dev');
    assert.deepEqual(aliceView.events.at(-1), { room: 'dev', joined: [], left: [{ id: bob.id, name: 'bob' }], count: 1 });
    assert.deepEqual(aliceView.names('dev'), ['alice']);
  });

  test('a client entering the lobby gets its members once, and everyone follows arrivals and departures', async () => {
    await start();
    const alice = await sio({ name: 'alice' });
    const aliceView = MemberView.of(alice);
    // The lobby snapshot comes in the same breath as the CONNECT: listen before connecting.
    let carolView: MemberView | undefined;
    const carol = await socketIoClient(chat!, { name: 'carol' }, (client) => {
      carolView = MemberView.of(client);
    });
    sioClients.push(carol);
    const bob = await plain({ name: 'bob' });
    await carolView!.until((v) => v.names('lobby').length === 3, 'carol to know the three of them');
    assert.deepEqual(carolView!.events[0], {
      room: 'lobby',
      members: [
        { id: alice.id, name: 'alice' },
        { id: carol.id, name: 'carol' },
      ],
      count: 2,
    });
    await aliceView.until((v) => v.names('lobby').join() === 'alice,bob,carol', 'alice to know all three');
    await bob.close();
    await aliceView.until((v) => v.names('lobby').join() === 'alice,carol', 'alice to hear bob went');
    await carolView!.until((v) => v.names('lobby').join() === 'alice,carol', 'carol to hear bob went');
    assert.equal(aliceView.counts.get('lobby'), 2);
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
    const relayed = await waitFor<{ room: string; from: string; fromId: string }>(alice, 'typing');
    assert.deepEqual(relayed, { room: 'lobby', from: 'bob', fromId: bob.id });
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
