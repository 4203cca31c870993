import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ChatStoreError, type ChatValueResult } from '../../src/chat/errors.js';
import { ChatStore, SCHEMA_VERSION, type StoredMessage } from '../../src/chat/store.js';

function value<T>(result: ChatValueResult<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-chat-store-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An in-memory store whose clock ticks by 1 ms from a fixed epoch, and whose errors are collected. */
function memoryStore(): { store: ChatStore; errors: unknown[] } {
  let t = 1_700_000_000_000;
  const errors: unknown[] = [];
  const store = ChatStore.open(':memory:', { now: () => t++, onError: (e) => errors.push(e) });
  return { store, errors };
}

function fill(store: ChatStore, room: string, count: number, from = 'alice'): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (let i = 0; i < count; i++) {
    out.push(value(store.append({ room, from, fromId: `${from}-id`, content: `${room} ${i}` })));
  }
  return out;
}

describe('ChatStore', () => {
  test('round-trips a message with id, from, fromId and ts', () => {
    const { store } = memoryStore();
    const stored = value(
      store.append({ room: 'lobby', from: 'alice', fromId: 'sock-1', content: 'hello', type: 'text' }),
    );
    assert.deepEqual(stored, {
      id: 1,
      room: 'lobby',
      from: 'alice',
      fromId: 'sock-1',
      type: 'text',
      content: 'hello',
      ts: 1_700_000_000_000,
    });
    assert.deepEqual(value(store.history('lobby')).messages, [stored]);
    assert.equal(value(store.lastId()), 1);
    store.close();
  });

  test('type defaults to text', () => {
    const { store } = memoryStore();
    assert.equal(value(store.append({ room: 'lobby', from: 'a', fromId: null, content: 'x' })).type, 'text');
    store.close();
  });

  test('keeps content exactly, including emoji, newlines and NUL', () => {
    const { store } = memoryStore();
    const content = '  \u{1F600} line\nnext\u0000end  ';
    const stored = value(store.append({ room: 'lobby', from: 'a', fromId: null, content }));
    assert.equal(value(store.history('lobby')).messages[0]?.content, content);
    assert.equal(stored.content, content);
    store.close();
  });

  test(':memory: works and is private to its store', () => {
    const a = memoryStore().store;
    const b = memoryStore().store;
    fill(a, 'lobby', 3);
    assert.equal(a.persistent, false);
    assert.equal(value(a.lastId()), 3);
    assert.equal(value(b.lastId()), 0);
    a.close();
    b.close();
  });

  test('lastId is 0 for an empty store', () => {
    const { store } = memoryStore();
    assert.equal(value(store.lastId()), 0);
    store.close();
  });

  test('creates the folder of a file path', () => {
    const path = join(dir, 'nested', 'deeper', 'chat.db');
    assert.equal(existsSync(join(dir, 'nested')), false);
    const store = ChatStore.open(path);
    assert.ok(existsSync(path));
    assert.equal(store.persistent, true);
    store.close();
  });

  test('uses WAL mode for file databases', () => {
    const path = join(dir, 'wal', 'chat.db');
    const store = ChatStore.open(path);
    value(store.append({ room: 'lobby', from: 'a', fromId: null, content: 'x' }));
    assert.ok(existsSync(`${path}-wal`));
    const probe = new Database(path, { readonly: true });
    try {
      assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
      // the committed row is visible to another connection as soon as append returned
      assert.equal((probe.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n, 1);
    } finally {
      probe.close();
      store.close();
    }
  });

  test('ids keep increasing across a reopen of the same file, and messages survive', () => {
    const path = join(dir, 'restart', 'chat.db');
    const first = ChatStore.open(path);
    const before = fill(first, 'lobby', 3);
    first.close();

    const second = ChatStore.open(path);
    assert.equal(value(second.lastId()), 3);
    const next = value(second.append({ room: 'lobby', from: 'b', fromId: null, content: 'after restart' }));
    assert.equal(next.id, 4);
    assert.deepEqual(
      value(second.since(['lobby'], 0)).messages.map((m) => m.id),
      [...before.map((m) => m.id), 4],
    );
    second.close();
  });

  test('ids are never reused, even after the newest rows are deleted', () => {
    const path = join(dir, 'reuse', 'chat.db');
    const store = ChatStore.open(path);
    fill(store, 'lobby', 5);
    store.close();
    const raw = new Database(path);
    raw.prepare('DELETE FROM messages WHERE id > 2').run();
    raw.close();
    const reopened = ChatStore.open(path);
    assert.equal(value(reopened.append({ room: 'lobby', from: 'a', fromId: null, content: 'x' })).id, 6);
    reopened.close();
  });

  test('opening an existing database again is idempotent', () => {
    const path = join(dir, 'idempotent.db');
    for (let i = 0; i < 3; i++) {
      const store = ChatStore.open(path);
      value(store.append({ room: 'lobby', from: 'a', fromId: null, content: `run ${i}` }));
      store.close();
    }
    const store = ChatStore.open(path);
    assert.equal(value(store.history('lobby')).messages.length, 3);
    store.close();
  });

  test('open throws a ChatStoreError with storage_failed for an unusable path', () => {
    const path = join(dir, 'a-directory.db');
    ChatStore.open(join(path, 'inner.db')).close(); // makes `path` a directory
    assert.throws(
      () => ChatStore.open(path),
      (err: unknown) => err instanceof ChatStoreError && err.error.code === 'storage_failed',
    );
  });

  describe('schema versions', () => {
    /** The messages table as version 1 created it, before `from_id`. */
    const V1_SCHEMA = `
      CREATE TABLE messages (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        room    TEXT    NOT NULL,
        sender  TEXT    NOT NULL,
        type    TEXT    NOT NULL DEFAULT 'text',
        content TEXT    NOT NULL,
        ts      INTEGER NOT NULL
      );
      CREATE INDEX messages_room_id ON messages (room, id);
      PRAGMA user_version = 1;
    `;

    function columnsOf(path: string): string[] {
      const probe = new Database(path, { readonly: true });
      try {
        return probe.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('messages') as string[];
      } finally {
        probe.close();
      }
    }

    function versionOf(path: string): unknown {
      const probe = new Database(path, { readonly: true });
      try {
        return probe.pragma('user_version', { simple: true });
      } finally {
        probe.close();
      }
    }

    test('a new file gets the current version, with the from_id column', () => {
      const path = join(dir, 'fresh-v2.db');
      ChatStore.open(path).close();
      assert.equal(SCHEMA_VERSION, 2);
      assert.equal(versionOf(path), 2);
      assert.ok(columnsOf(path).includes('from_id'));
    });

    test('a version 1 file is migrated on open: old rows read fromId null, new rows keep theirs', () => {
      const path = join(dir, 'v1.db');
      const old = new Database(path);
      old.exec(V1_SCHEMA);
      old
        .prepare('INSERT INTO messages (room, sender, type, content, ts) VALUES (?, ?, ?, ?, ?)')
        .run('lobby', 'old-timer', 'text', 'from v1', 1_600_000_000_000);
      old.close();

      const store = ChatStore.open(path);
      const added = value(
        store.append({ room: 'lobby', from: 'newcomer', fromId: 'sock-2', content: 'from v2' }),
      );
      assert.deepEqual(value(store.history('lobby')).messages, [
        {
          id: 1,
          room: 'lobby',
          from: 'old-timer',
          fromId: null,
          type: 'text',
          content: 'from v1',
          ts: 1_600_000_000_000,
        },
        added,
      ]);
      assert.equal(added.id, 2);
      store.close();
      assert.equal(versionOf(path), SCHEMA_VERSION);

      // Opening the migrated file again changes nothing and loses nothing.
      const again = ChatStore.open(path);
      assert.deepEqual(
        value(again.since(['lobby'], 0)).messages.map((m) => [m.from, m.fromId]),
        [
          ['old-timer', null],
          ['newcomer', 'sock-2'],
        ],
      );
      again.close();
      assert.deepEqual(
        columnsOf(path).filter((c) => c === 'from_id'),
        ['from_id'],
      );
    });

    test('a file of a newer version is refused and left as it was', () => {
      const path = join(dir, 'from-the-future.db');
      const future = new Database(path);
      future.exec('CREATE TABLE something_else (x TEXT); PRAGMA user_version = 99;');
      future.close();
      assert.throws(
        () => ChatStore.open(path),
        (err: unknown) =>
          err instanceof ChatStoreError &&
          err.error.code === 'storage_failed' &&
          /version 99/.test(err.error.message),
      );
      assert.equal(versionOf(path), 99);
      assert.deepEqual(columnsOf(path), [], 'no messages table was created in it');
    });
  });

  describe('history', () => {
    test('returns the newest page oldest-first, with hasMore', () => {
      const { store } = memoryStore();
      const all = fill(store, 'lobby', 60);
      const page = value(store.history('lobby'));
      assert.equal(page.messages.length, 50);
      assert.deepEqual(
        page.messages.map((m) => m.id),
        all.slice(10).map((m) => m.id),
      );
      assert.equal(page.hasMore, true);
      store.close();
    });

    test('pages backwards by id with before and limit', () => {
      const { store } = memoryStore();
      const ids = fill(store, 'lobby', 25).map((m) => m.id);
      const seen: number[] = [];
      let beforeId: number | undefined;
      for (;;) {
        const page = value(store.history('lobby', { before: beforeId, limit: 10 }));
        const pageIds = page.messages.map((m) => m.id);
        assert.deepEqual(
          pageIds,
          [...pageIds].sort((x, y) => x - y),
          'a page is oldest-first',
        );
        seen.unshift(...pageIds);
        if (!page.hasMore) break;
        beforeId = pageIds[0];
      }
      assert.deepEqual(seen, ids);
      store.close();
    });

    test('before excludes that id and everything newer', () => {
      const { store } = memoryStore();
      fill(store, 'lobby', 10);
      const page = value(store.history('lobby', { before: 5, limit: 3 }));
      assert.deepEqual(
        page.messages.map((m) => m.id),
        [2, 3, 4],
      );
      assert.equal(page.hasMore, true);
      const first = value(store.history('lobby', { before: 2, limit: 3 }));
      assert.deepEqual(
        first.messages.map((m) => m.id),
        [1],
      );
      assert.equal(first.hasMore, false);
      store.close();
    });

    test('only returns messages of the requested room', () => {
      const { store } = memoryStore();
      fill(store, 'a', 3);
      fill(store, 'b', 3);
      fill(store, 'a', 2);
      const page = value(store.history('a'));
      assert.equal(page.messages.length, 5);
      assert.ok(page.messages.every((m) => m.room === 'a'));
      assert.deepEqual(value(store.history('empty')), { messages: [], hasMore: false });
      store.close();
    });

    test('a page exactly as large as the room has no more', () => {
      const { store } = memoryStore();
      fill(store, 'lobby', 5);
      assert.equal(value(store.history('lobby', { limit: 5 })).hasMore, false);
      store.close();
    });
  });

  describe('since', () => {
    test('returns messages after lastId in the given rooms only, oldest-first', () => {
      const { store } = memoryStore();
      fill(store, 'a', 2); // 1, 2
      fill(store, 'b', 2); // 3, 4
      fill(store, 'c', 2); // 5, 6
      fill(store, 'a', 1); // 7
      fill(store, 'b', 1); // 8
      const page = value(store.since(['a', 'b'], 2));
      assert.deepEqual(
        page.messages.map((m) => [m.id, m.room]),
        [
          [3, 'b'],
          [4, 'b'],
          [7, 'a'],
          [8, 'b'],
        ],
      );
      assert.equal(page.hasMore, false);
      store.close();
    });

    test('returns nothing for no rooms or when up to date', () => {
      const { store } = memoryStore();
      fill(store, 'a', 3);
      assert.deepEqual(value(store.since([], 0)), { messages: [], hasMore: false });
      assert.deepEqual(value(store.since(['a'], 3)), { messages: [], hasMore: false });
      assert.deepEqual(value(store.since(['a', 'a'], 2)).messages.length, 1);
      store.close();
    });

    test('is bounded by its limit and reports hasMore, so the caller can continue', () => {
      const { store } = memoryStore();
      fill(store, 'a', 7);
      const first = value(store.since(['a'], 0, 3));
      assert.deepEqual(
        first.messages.map((m) => m.id),
        [1, 2, 3],
      );
      assert.equal(first.hasMore, true);
      const rest: number[] = [];
      let last = 3;
      for (;;) {
        const page = value(store.since(['a'], last, 3));
        rest.push(...page.messages.map((m) => m.id));
        last = page.messages.at(-1)?.id ?? last;
        if (!page.hasMore) break;
      }
      assert.deepEqual(rest, [4, 5, 6, 7]);
      store.close();
    });

    test('defaults to at most 1000 messages', () => {
      const { store } = memoryStore();
      fill(store, 'a', 1005);
      const page = value(store.since(['a'], 0));
      assert.equal(page.messages.length, 1000);
      assert.equal(page.hasMore, true);
      store.close();
    });

    test('replays missed messages after a restart on the same file', () => {
      const path = join(dir, 'replay', 'chat.db');
      const first = ChatStore.open(path);
      fill(first, 'lobby', 2);
      const seen = value(first.lastId());
      fill(first, 'lobby', 2);
      fill(first, 'other', 1);
      first.close();
      const second = ChatStore.open(path);
      assert.deepEqual(
        value(second.since(['lobby'], seen)).messages.map((m) => m.content),
        ['lobby 0', 'lobby 1'],
      );
      second.close();
    });
  });

  describe('errors', () => {
    test('methods after close return storage_failed instead of throwing', () => {
      const { store } = memoryStore();
      store.close();
      store.close(); // idempotent
      assert.equal(store.isClosed, true);
      for (const result of [
        store.append({ room: 'lobby', from: 'a', fromId: null, content: 'x' }),
        store.history('lobby'),
        store.since(['lobby'], 0),
        store.lastId(),
      ]) {
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.error.code, 'storage_failed');
      }
    });

    test('an SQLite failure becomes storage_failed and reaches onError', () => {
      const path = join(dir, 'broken', 'chat.db');
      const errors: unknown[] = [];
      const store = ChatStore.open(path, { onError: (e) => errors.push(e) });
      const other = new Database(path);
      other.exec('DROP TABLE messages');
      other.close();
      const result = store.append({ room: 'lobby', from: 'a', fromId: null, content: 'x' });
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, 'storage_failed');
        assert.doesNotMatch(result.error.message, /no such table/, 'SQLite details are not sent to clients');
      }
      assert.equal(errors.length, 1);
      const history = store.history('lobby');
      assert.equal(history.ok, false);
      store.close();
    });

    test('a throwing onError hook does not make the store throw', () => {
      const path = join(dir, 'broken-hook', 'chat.db');
      const store = ChatStore.open(path, {
        onError: () => {
          throw new Error('logger down');
        },
      });
      const other = new Database(path);
      other.exec('DROP TABLE messages');
      other.close();
      assert.equal(store.lastId().ok, false);
      store.close();
    });
  });
});
