/**
 * The store contract, run against both stores: the embedded SQLite one and PostgreSQL (a fresh
 * cluster for this file). Same ids, ordering, paging and exact content; plus what only a shared
 * database shows: two stores on one database (two nodes) hand out ids in commit order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ChatValueResult } from '../../src/chat/errors.js';
import type { MessageStore } from '../../src/chat/message-store.js';
import { PostgresStore } from '../../src/chat/postgres-store.js';
import { ChatStore, type StoredMessage } from '../../src/chat/store.js';
import {
  type PostgresServer,
  postgresAvailable,
  requirePostgres,
  startPostgres,
} from '../support/postgres.js';

async function value<T>(result: ChatValueResult<T> | Promise<ChatValueResult<T>>): Promise<T> {
  const settled = await result;
  if (!settled.ok) assert.fail(`expected ok, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value;
}

let server: PostgresServer | undefined;
let databases = 0;
before(async () => {
  if (postgresAvailable()) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function pgUrl(database: string): string {
  const c = server!.connection;
  return `postgres://${encodeURIComponent(c.user)}@${c.host}:${c.port}/${database}`;
}

/** A fresh, empty database on the test cluster, as a URL. */
async function freshDatabase(): Promise<string> {
  databases++;
  const name = `chat_${process.pid}_${databases}`;
  const client = new pg.Client({ ...server!.connection });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return pgUrl(name);
}

interface Kind {
  name: string;
  /** Whether the peer it needs is there (skips loudly, or fails with CI=true, when not). */
  available(t: { skip(message?: string): void }): boolean;
  open(now: () => number): Promise<MessageStore>;
}

const KINDS: Kind[] = [
  {
    name: 'SQLite',
    available: () => true,
    open: async (now) => ChatStore.open(':memory:', { now, onError: () => {} }),
  },
  {
    name: 'PostgreSQL',
    available: (t) => requirePostgres(t),
    open: async (now) => PostgresStore.open(await freshDatabase(), { now, onError: () => {} }),
  },
];

async function fill(store: MessageStore, room: string, count: number): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (let i = 0; i < count; i++)
    out.push(await value(store.append({ room, from: 'alice', fromId: 'a-id', content: `${room} ${i}` })));
  return out;
}

for (const kind of KINDS) {
  describe(`message store contract: ${kind.name}`, () => {
    let t0 = 1_700_000_000_000;
    const open = () => kind.open(() => t0++);

    test('round-trips a message with id 1, from, fromId, type and ts; lastId follows', async (t) => {
      if (!kind.available(t)) return;
      const store = await open();
      assert.equal(await value(store.lastId()), 0);
      const stored = await value(
        store.append({ room: 'lobby', from: 'alice', fromId: 'sock-1', content: 'hello', type: 'text' }),
      );
      assert.equal(stored.id, 1);
      assert.deepEqual(
        { ...stored, ts: 0 },
        { id: 1, room: 'lobby', from: 'alice', fromId: 'sock-1', type: 'text', content: 'hello', ts: 0 },
      );
      assert.equal(typeof stored.ts, 'number');
      assert.deepEqual((await value(store.history('lobby'))).messages, [stored]);
      assert.equal(await value(store.lastId()), 1);
      await store.close();
    });

    test('keeps content exactly, emoji, newlines and NUL included; fromId may be null', async (t) => {
      if (!kind.available(t)) return;
      const store = await open();
      const content = '  \u{1F600} line\nnext\u0000end  ';
      await value(store.append({ room: 'lobby', from: 'a', fromId: null, content }));
      const [read] = (await value(store.history('lobby'))).messages;
      assert.equal(read?.content, content);
      assert.equal(read?.fromId, null);
      assert.equal(read?.type, 'text');
      await store.close();
    });

    test('history pages backwards with before, oldest first, hasMore until the first row', async (t) => {
      if (!kind.available(t)) return;
      const store = await open();
      const all = await fill(store, 'r', 7);
      await fill(store, 'other', 2);
      const newest = await value(store.history('r', { limit: 3 }));
      assert.deepEqual(
        newest.messages.map((m) => m.content),
        ['r 4', 'r 5', 'r 6'],
      );
      assert.equal(newest.hasMore, true);
      const older = await value(store.history('r', { limit: 3, before: newest.messages[0]!.id }));
      assert.deepEqual(
        older.messages.map((m) => m.content),
        ['r 1', 'r 2', 'r 3'],
      );
      const oldest = await value(store.history('r', { limit: 3, before: older.messages[0]!.id }));
      assert.deepEqual(oldest.messages, [all[0]]);
      assert.equal(oldest.hasMore, false);
      await store.close();
    });

    test('since returns the rows above lastId in the given rooms, in id order, in pages', async (t) => {
      if (!kind.available(t)) return;
      const store = await open();
      const a = await fill(store, 'a', 3);
      await fill(store, 'b', 2);
      const c = await fill(store, 'c', 2);
      const page = await value(store.since(['a', 'c', 'a'], a[0]!.id, 3));
      assert.deepEqual(
        page.messages.map((m) => m.content),
        ['a 1', 'a 2', 'c 0'],
      );
      assert.equal(page.hasMore, true);
      const rest = await value(store.since(['a', 'c'], page.messages.at(-1)!.id, 3));
      assert.deepEqual(rest.messages, [c[1]]);
      assert.equal(rest.hasMore, false);
      assert.deepEqual(await value(store.since([], 0)), { messages: [], hasMore: false });
      await store.close();
    });

    test('after close every method answers storage_failed', async (t) => {
      if (!kind.available(t)) return;
      const store = await open();
      await store.close();
      await store.close();
      const answer = await store.append({ room: 'lobby', from: 'a', fromId: null, content: 'late' });
      assert.equal(answer.ok, false);
      assert.equal(!answer.ok && answer.error.code, 'storage_failed');
      const read = await store.history('lobby');
      assert.equal(!read.ok && read.error.code, 'storage_failed');
    });
  });
}

describe('PostgreSQL store shared by two nodes', () => {
  test('concurrent appends from two stores get distinct ids, committed in id order, and both read them all', async (t) => {
    if (!requirePostgres(t)) return;
    const url = await freshDatabase();
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    // A reader polling since(lastSeen) while both write must never skip an id: it only would if
    // a lower id committed after a higher one was visible.
    let seen = 0;
    const read: number[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing || seen < 80) {
        // Only a query started after every write committed may end the reading when it is empty.
        const afterWrites = !writing;
        const page = await value(a.since(['lobby'], seen));
        for (const m of page.messages) {
          read.push(m.id);
          seen = m.id;
        }
        if (afterWrites && page.messages.length === 0) break;
      }
    })();
    const writes = [];
    for (let i = 0; i < 40; i++) {
      writes.push(value(a.append({ room: 'lobby', from: 'a', fromId: null, content: `a${i}` })));
      writes.push(value(b.append({ room: 'lobby', from: 'b', fromId: null, content: `b${i}` })));
    }
    const ids = (await Promise.all(writes)).map((m) => m.id);
    writing = false;
    await reader;
    assert.equal(new Set(ids).size, 80);
    assert.deepEqual(
      read,
      [...ids].sort((x, y) => x - y),
      'the reader saw every id once, in order',
    );
    assert.equal((await value(b.history('lobby', { limit: 100 }))).messages.length, 80);
    await Promise.all([a.close(), b.close()]);
  });

  test('a database of a newer schema version is refused with storage_failed', async (t) => {
    if (!requirePostgres(t)) return;
    const url = await freshDatabase();
    const first = await PostgresStore.open(url);
    await first.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE chat_schema SET version = 99');
    await client.end();
    await assert.rejects(PostgresStore.open(url), (err: { error?: { code?: string }; message: string }) => {
      assert.equal(err.error?.code, 'storage_failed');
      assert.match(err.message, /newer/);
      return true;
    });
  });
});
