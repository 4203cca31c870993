/**
 * Two chat nodes on one Redis (adapter) and one PostgreSQL (history): what a client sees does not
 * depend on the node it reached. Broadcasts reach Socket.IO and plain WebSocket clients on both,
 * presence lists members of every node, history and replay by lastId work on either.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import type { StoredMessage } from '../../src/chat/store.js';
import { closeClients } from '../support/clients.js';
import {
  type PostgresServer,
  postgresAvailable,
  requirePostgres,
  startPostgres,
} from '../support/postgres.js';
import { type RedisServer, redisAvailable, requireRedis, startRedis } from '../support/redis.js';
import { withTimeout } from '../support/waiting.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

let redis: RedisServer | undefined;
let pg: PostgresServer | undefined;
let a: RunningChat;
let b: RunningChat;
let keys = 0;
before(async () => {
  if (redisAvailable()) redis = await startRedis();
  if (postgresAvailable()) pg = await startPostgres();
});
after(async () => {
  await closeClients();
  await redis?.stop();
  await pg?.stop();
});

function dbUrl(): string {
  const c = pg!.connection;
  return `postgres://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${c.database}`;
}

/** Two nodes of one chat (a key of their own), started and clustered. */
async function twoNodes(t: {
  skip(message?: string): void;
  after(fn: () => Promise<void>): void;
}): Promise<boolean> {
  if (!requireRedis(t) || !requirePostgres(t)) return false;
  keys++;
  const options = { redis: redis!.url, redisKey: `chat-${process.pid}-${keys}`, db: dbUrl() };
  a = await startChat(options);
  b = await startChat(options);
  t.after(async () => {
    await closeClients();
    await a.close();
    await b.close();
  });
  const adapter = a.io.of('/').adapter as unknown as { serverCount(): Promise<number> };
  await withTimeout(
    (async () => {
      while ((await adapter.serverCount()) < 2) await new Promise((resolve) => setImmediate(resolve));
    })(),
    'both nodes to subscribe',
  );
  return true;
}

test('a message acked on node A reaches Socket.IO and plain clients on both nodes, and is in history on B at once', async (t) => {
  if (!(await twoNodes(t))) return;
  const onA = await socketIoClient(a, { name: 'anna' });
  const onB = await socketIoClient(b, { name: 'bert' });
  const plainOnB = await PlainChatClient.open(b, { name: 'pia' });
  const plainOnA = await PlainChatClient.open(a, { name: 'paul' });
  const toB = new Promise<StoredMessage>((resolve) => onB.once('message', resolve));
  const toPlainB = plainOnB.event('message');
  const toPlainA = plainOnA.event('message');
  const ack = await onA.emitWithAck('message', { type: 'text', content: 'across' });
  assert.equal(ack.ok, true);
  const history = await onB.emitWithAck('history', { room: 'lobby' });
  assert.deepEqual(
    (history.messages as StoredMessage[]).map((m) => [m.id, m.content]),
    [[ack.id, 'across']],
  );
  for (const got of [await toB, (await toPlainB) as StoredMessage, (await toPlainA) as StoredMessage]) {
    assert.deepEqual([got.id, got.content, got.from], [ack.id, 'across', 'anna']);
  }
  // And the other way, from a plain client on B to a Socket.IO client on A.
  const back = new Promise<StoredMessage>((resolve) => onA.once('message', resolve));
  const answer = await plainOnB.request('message', { type: 'text', content: 'back' });
  assert.equal((await back).id, answer.id);
  await plainOnA.close();
  await plainOnB.close();
});

test('presence lists the members of every node, and counts them', async (t) => {
  if (!(await twoNodes(t))) return;
  const onA = await socketIoClient(a, { name: 'anna' });
  await onA.emitWithAck('join', { room: 'ops' });
  const plainOnA = await PlainChatClient.open(a, { name: 'paul' });
  await plainOnA.request('join', { room: 'ops' });
  const deltaOnA = new Promise<{ count: number }>((resolve) =>
    onA.on('presence', (d: { room: string; joined?: { name: string }[]; count: number }) => {
      if (d.room === 'ops' && d.joined?.some((m) => m.name === 'bert')) resolve(d);
    }),
  );
  const onB = await socketIoClient(b, { name: 'bert' });
  const joined = await onB.emitWithAck('join', { room: 'ops' });
  assert.equal(joined.count, 3);
  assert.deepEqual(
    (joined.members as { name: string }[]).map((m) => m.name),
    ['anna', 'paul', 'bert'],
  );
  // The delta of B's arrival reaches A's members with the room's count over both nodes.
  const delta = await withTimeout(deltaOnA, 'the presence delta on node A');
  assert.equal(delta.count, 3);
  await plainOnA.close();
});

test('a client that reconnects to the other node gets what it missed by lastId', async (t) => {
  if (!(await twoNodes(t))) return;
  const writer = await socketIoClient(a, { name: 'writer' });
  // A member on B: once it has heard 'missed 2', Redis has relayed all three to B, so none of them
  // can reach the reader live after it joined (the test is about the replay).
  const watcher = await socketIoClient(b, { name: 'watcher' });
  const relayed = new Promise<void>((resolve) => {
    watcher.on('message', (m: StoredMessage) => {
      if (m.content === 'missed 2') resolve();
    });
  });
  const seen = await writer.emitWithAck('message', { type: 'text', content: 'seen' });
  const missed1 = await writer.emitWithAck('message', { type: 'text', content: 'missed 1' });
  const missed2 = await writer.emitWithAck('message', { type: 'text', content: 'missed 2' });
  await relayed;
  const replayed: StoredMessage[] = [];
  const done = new Promise<void>((resolve) => {
    void socketIoClient(b, { name: 'reader', lastId: seen.id }, (client) =>
      client.on('message', (m: StoredMessage) => {
        replayed.push(m);
        if (replayed.length === 2) resolve();
      }),
    );
  });
  await done;
  assert.deepEqual(
    replayed.map((m) => m.id),
    [missed1.id, missed2.id],
  );
});
