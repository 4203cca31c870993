// Message storage on SQLite (better-sqlite3, synchronous).
//
// - `ChatStore.open(path)` creates the folder of a file path, turns on WAL for file databases and
//   creates the schema idempotently. `:memory:` (or '') gives a private in-memory database.
// - The schema version lives in `PRAGMA user_version`. A file of an older version is migrated on
//   open, in one transaction (v1 → v2: the `from_id` column; v1 rows read `fromId: null`); a file
//   of a newer version is refused before anything is written to it.
// - Ids come from `INTEGER PRIMARY KEY AUTOINCREMENT`, so they only ever increase, also across
//   restarts on the same file and after deletions. A client that saw id N can ask for id > N.
// - `append` returns after SQLite has committed the row (autocommit, synchronous=FULL), so the
//   caller may ack the sender as soon as it returns.
// - Public methods other than `open` never throw: SQLite errors (and use after `close`) come back
//   as `{ ok: false, error: { code: 'storage_failed', message } }`. The client-facing message is
//   generic; the underlying error goes to the `onError` hook (default: console.error).
// - `open` throws a `ChatStoreError` (code `storage_failed`) when the database cannot be opened:
//   that is a startup configuration error, not something to ack.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  type ChatFailure,
  ChatStoreError,
  type ChatValueResult,
  chatError,
  fail,
  okValue,
} from './errors.js';
import type { MessageStore } from './message-store.js';
import { HISTORY_PAGE, type MessageType } from './schema.js';

/** Where the chat database lives unless configured otherwise. */
export const DEFAULT_DB_PATH = './data/chat.db';
/** Default and maximum number of messages `since` returns in one call. */
export const SINCE_LIMIT = 1000;
/** Largest page `history` returns, whatever the caller asks. */
export const MAX_PAGE = 1000;
/** The schema version stored in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 2;

/** A message as stored and as broadcast: `{ type, content, room, id, from, fromId, ts }`. */
export interface StoredMessage {
  readonly id: number;
  readonly room: string;
  readonly from: string;
  /** The sender's socket id, which tells apart two senders of the same name; null in rows older than it. */
  readonly fromId: string | null;
  readonly type: MessageType;
  readonly content: string;
  /** Milliseconds since the Unix epoch, when the server stored it. */
  readonly ts: number;
}

/** What `append` needs; `room` and `content` should already be validated by `parseMessage`. */
export interface NewMessage {
  readonly room: string;
  readonly from: string;
  /** The sender's socket id; null when no connection sent it. */
  readonly fromId: string | null;
  readonly content: string;
  readonly type?: MessageType;
}

/** A run of messages, oldest first; `hasMore` tells whether more exist beyond the page. */
export interface MessagePage {
  readonly messages: StoredMessage[];
  /** history: older messages exist before the first one; since: newer ones exist after the last one. */
  readonly hasMore: boolean;
}

export interface HistoryOptions {
  /** Only messages with an id below this one (for paging backwards); absent for the newest page. */
  readonly before?: number;
  /** Page size, default `HISTORY_PAGE`; clamped to 1..`MAX_PAGE`. */
  readonly limit?: number;
}

export interface ChatStoreOptions {
  /** Clock for `ts`, in ms since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Receives SQLite errors that were turned into `storage_failed` results. Default: console.error. */
  readonly onError?: (error: unknown, operation: string) => void;
}

interface Row {
  id: number;
  room: string;
  sender: string;
  from_id: string | null;
  type: string;
  content: string;
  ts: number;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS messages (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  room    TEXT    NOT NULL,
  sender  TEXT    NOT NULL,
  type    TEXT    NOT NULL DEFAULT 'text',
  content TEXT    NOT NULL,
  ts      INTEGER NOT NULL,
  from_id TEXT
);
CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id);
`;

const COLUMNS = 'id, room, sender, from_id, type, content, ts';

/**
 * Brings a database of an older schema version up to SCHEMA_VERSION. Each step checks what is
 * there rather than trusting the version alone: a fresh file (version 0) already got every column
 * from SCHEMA_SQL.
 */
function migrate(db: Database.Database, from: number): void {
  if (from < 2) {
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('messages');
    if (!columns.includes('from_id')) db.exec('ALTER TABLE messages ADD COLUMN from_id TEXT');
  }
}

function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '';
}

function toMessage(row: Row): StoredMessage {
  return {
    id: row.id,
    room: row.room,
    from: row.sender,
    fromId: row.from_id,
    type: row.type as MessageType,
    content: row.content,
    ts: row.ts,
  };
}

/** A page size from what a caller asked: `fallback` when absent, else within 1..`max`. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(limit)));
}

function defaultOnError(error: unknown, operation: string): void {
  console.error(`[chat store] ${operation} failed:`, error);
}

export class ChatStore implements MessageStore {
  /** Always `sqlite`. */
  readonly kind = 'sqlite' as const;
  /** The path given to `open` (`:memory:` for an in-memory store). */
  readonly path: string;
  /** True for a file database (WAL mode), false for `:memory:`. */
  readonly persistent: boolean;

  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly onError: (error: unknown, operation: string) => void;
  private readonly insertStmt: Database.Statement<[string, string, string | null, string, string, number]>;
  private readonly historyStmt: Database.Statement<[string, number, number], Row>;
  private readonly sinceStmt: Database.Statement<[number, string, number], Row>;
  private readonly lastIdStmt: Database.Statement<[], { id: number | null }>;
  private closed = false;

  private constructor(path: string, db: Database.Database, options: ChatStoreOptions) {
    this.path = path;
    this.persistent = !isMemoryPath(path);
    this.db = db;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? defaultOnError;
    this.insertStmt = db.prepare(
      'INSERT INTO messages (room, sender, from_id, type, content, ts) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.historyStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    );
    this.sinceStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages
       WHERE id > ? AND room IN (SELECT value FROM json_each(?))
       ORDER BY id ASC LIMIT ?`,
    );
    this.lastIdStmt = db.prepare('SELECT MAX(id) AS id FROM messages');
  }

  /**
   * Opens (creating if needed) the database at `path`; `:memory:` for an in-memory one.
   * Creates the parent folder of a file path and enables WAL.
   * @throws ChatStoreError (code `storage_failed`) when the database cannot be opened or set up.
   */
  static open(path: string = DEFAULT_DB_PATH, options: ChatStoreOptions = {}): ChatStore {
    const memory = isMemoryPath(path);
    let db: Database.Database | undefined;
    try {
      if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
      db = new Database(memory ? ':memory:' : path);
      if (!memory) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      const found = db.pragma('user_version', { simple: true });
      const version = typeof found === 'number' ? found : 0;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `database schema version ${version} is newer than this server supports (${SCHEMA_VERSION})`,
        );
      }
      const opened = db;
      const setUp = opened.transaction(() => {
        opened.exec(SCHEMA_SQL);
        migrate(opened, version);
        if (version !== SCHEMA_VERSION) opened.pragma(`user_version = ${SCHEMA_VERSION}`);
      });
      // IMMEDIATE takes the write lock first: a second server opening the same old file waits,
      // then finds the column there (migrate checks) instead of adding it twice.
      setUp.immediate();
      return new ChatStore(memory ? ':memory:' : path, db, options);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already failing; the original error is the one to report
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new ChatStoreError(chatError('storage_failed', `cannot open chat database ${path}: ${reason}`), {
        cause: err,
      });
    }
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private guard<T>(operation: string, publicMessage: string, body: () => T): ChatValueResult<T> {
    if (this.closed) return fail('storage_failed', 'chat storage is closed');
    try {
      return okValue(body());
    } catch (err) {
      try {
        this.onError(err, operation);
      } catch {
        // a failing logger must not turn into a throw
      }
      return fail('storage_failed', publicMessage) satisfies ChatFailure;
    }
  }

  /**
   * Stores a message and returns it with its new id and timestamp. The row is committed when
   * this returns `ok`. Errors: `storage_failed`.
   */
  append(message: NewMessage): ChatValueResult<StoredMessage> {
    return this.guard('append', 'could not store the message', () => {
      const type = message.type ?? 'text';
      const ts = this.now();
      const info = this.insertStmt.run(message.room, message.from, message.fromId, type, message.content, ts);
      return {
        id: Number(info.lastInsertRowid),
        room: message.room,
        from: message.from,
        fromId: message.fromId,
        type,
        content: message.content,
        ts,
      };
    });
  }

  /**
   * The newest `limit` messages of `room` with an id below `before`, oldest first. `hasMore` is
   * true when older messages remain (page on with `before` = the first message's id).
   * Errors: `storage_failed`.
   */
  history(room: string, options: HistoryOptions = {}): ChatValueResult<MessagePage> {
    return this.guard('history', 'could not read the message history', () => {
      const limit = clampLimit(options.limit, HISTORY_PAGE, MAX_PAGE);
      const before = options.before ?? Number.MAX_SAFE_INTEGER;
      const rows = this.historyStmt.all(room, before, limit + 1);
      const hasMore = rows.length > limit;
      if (hasMore) rows.length = limit;
      return { messages: rows.reverse().map(toMessage), hasMore };
    });
  }

  /**
   * Messages with an id above `lastId` in any of `rooms`, oldest first, at most `limit`
   * (default and maximum `SINCE_LIMIT`). `hasMore` is true when more remain: call again with the
   * last message's id. Errors: `storage_failed`.
   */
  since(rooms: readonly string[], lastId: number, limit: number = SINCE_LIMIT): ChatValueResult<MessagePage> {
    return this.guard('since', 'could not read missed messages', () => {
      const unique = [...new Set(rooms)];
      if (unique.length === 0) return { messages: [], hasMore: false };
      const max = clampLimit(limit, SINCE_LIMIT, SINCE_LIMIT);
      const after = Number.isFinite(lastId) ? Math.floor(lastId) : 0;
      const rows = this.sinceStmt.all(after, JSON.stringify(unique), max + 1);
      const hasMore = rows.length > max;
      if (hasMore) rows.length = max;
      return { messages: rows.map(toMessage), hasMore };
    });
  }

  /** The id of the newest stored message, 0 when there is none. Errors: `storage_failed`. */
  lastId(): ChatValueResult<number> {
    return this.guard('lastId', 'could not read the last message id', () => this.lastIdStmt.get()?.id ?? 0);
  }

  /** Closes the database (checkpointing the WAL). Idempotent; never throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch (err) {
      try {
        this.onError(err, 'close');
      } catch {
        // ignore
      }
    }
  }
}
