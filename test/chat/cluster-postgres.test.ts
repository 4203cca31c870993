/**
 * The chat with `db: postgres://...`: history shared by two nodes on one database, replay by
 * lastId on a node the client never saw, and PostgreSQL going away: `storage_failed`, nothing
 * acked or broadcast that was not committed, no crash.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { RunningChat } from '../../src/chat/server.js';
import type { StoredMessage } from '../../src/chat/store.js';
import { closeClients } from '../support/clients.js';
import { type PostgresServer, requirePostgres, startPostgres } from '../support/postgres.js';
import { PlainChatClient, socketIoClient, startChat } from './support.js';

const running: RunningChat[] = [];
const databases: PostgresServer[] = [];
after(async () => {
  await closeClients();
  for (const chat of running) await chat.close();
  for (const db of databases) await db.stop();
});

async function database(): Promise<string> {
  const server = await startPostgres();
  databases.push(server);
  const c = server.connection;
  return `postgres://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${c.database}`;
}

async function node(db: string): Promise<RunningChat> {
  const chat = await startChat({ db });
  running.push(chat);
  return chat;
}

test('a message acked on node A is in history on node B at once, and B replays it by lastId', async (t) => {
  if (!requirePostgres(t)) return;
  const db = await database();
  const a = await node(db);
  const b = await node(db);
  assert.equal(a.store.kind, 'postgres');
  const writer = await socketIoClient(a, { name: 'writer' });
  const first = await writer.emitWithAck('message', { type: 'text', content: 'one' });
  const second = await writer.emitWithAck('message', { type: 'text', content: 'two\u0000exact' });
  assert.equal(first.ok, true);
  assert.ok(second.id > first.id);

  const reader = await socketIoClient(b, { name: 'reader' });
  const history = await reader.emitWithAck('history', { room: 'lobby' });
  assert.deepEqual(
    (history.messages as StoredMessage[]).map((m) => [m.id, m.content, m.from]),
    [
      [first.id, 'one', 'writer'],
      [second.id, 'two\u0000exact', 'writer'],
    ],
  );
  const plain = await PlainChatClient.open(b, { name: 'late', lastId: String(first.id) });
  const replayed = (await plain.event('message')) as StoredMessage;
  assert.deepEqual([replayed.id, replayed.content], [second.id, 'two\u0000exact']);
  await plain.close();
});

test('PostgreSQL unreachable: message answers storage_failed, is not broadcast, and the node keeps serving', async (t) => {
  if (!requirePostgres(t)) return;
  const server = await startPostgres();
  const c = server.connection;
  const chat = await node(`postgres://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${c.database}`);
  const errors: string[] = [];
  const client = await socketIoClient(chat, { name: 'alice' });
  const received: StoredMessage[] = [];
  client.on('message', (m: StoredMessage) => received.push(m));
  const stored = await client.emitWithAck('message', { type: 'text', content: 'committed' });
  assert.equal(stored.ok, true);
  assert.equal(received.length, 1, 'its broadcast came before its ack');

  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args.map(String).join(' '));
  try {
    await server.stop();
    const refused = await client.timeout(8000).emitWithAck('message', { type: 'text', content: 'lost' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'storage_failed');
    assert.equal(received.length, 1, 'nothing broadcast that was not committed');
    const page = await client.timeout(8000).emitWithAck('history', { room: 'lobby' });
    assert.equal(page.error?.code, 'storage_failed');
  } finally {
    console.error = original;
  }
  assert.ok(
    errors.some((line) => line.includes('append failed')),
    'the cause is logged',
  );
  // The node itself still answers what needs no storage.
  const typing = await client.emitWithAck('typing', { room: 'lobby' });
  assert.equal(typing.ok, true);
});

test('a node started on an unreachable PostgreSQL refuses to start with storage_failed', async () => {
  await assert.rejects(
    startChat({ db: 'postgres://nobody@127.0.0.1:1/none' }),
    (err: { error?: { code?: string } }) => {
      assert.equal(err.error?.code, 'storage_failed');
      return true;
    },
  );
});
