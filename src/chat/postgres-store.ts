/**
 * Message storage on PostgreSQL (`pg` Pool), for chat nodes that share one history.
 *
 * The same schema, ids and ordering as the SQLite store (store.ts):
 * - one `messages` table with the same columns; `content` is BYTEA holding UTF-8, because a
 *   PostgreSQL TEXT cannot hold NUL and the chat keeps content exactly as sent;
 * - ids from an identity column, so they only increase. A sequence alone hands ids out in one
 *   order and transactions may commit in another, so a reader asking for id > N could miss a
 *   lower id that commits later: every insert therefore runs in a transaction holding one
 *   advisory lock (`INSERT_LOCK`), which makes commit order the id order, as SQLite's single
 *   writer does. The cost: inserts of all nodes are serialised (one short transaction each);
 * - the schema version lives in `chat_schema`; a newer one is refused; setting up takes the same
 *   lock, so nodes starting together do not race on CREATE TABLE.
 * - `append` resolves `ok` after COMMIT returned. When the database is unreachable every method
 *   answers `storage_failed` within `timeoutMs` (pool connect and query timeouts), never throws.
 */
import pg from 'pg';
import { ChatStoreError, type ChatValueResult, chatError, fail, okValue } from './errors.js';
import type { MessageStore } from './message-store.js';
import { HISTORY_PAGE, type MessageType } from './schema.js';
import {
  type ChatStoreOptions,
  clampLimit,
  type HistoryOptions,
  MAX_PAGE,
  type MessagePage,
  type NewMessage,
  SCHEMA_VERSION,
  SINCE_LIMIT,
  type StoredMessage,
} from './store.js';

/** The advisory lock key serialising inserts and schema set-up (an arbitrary constant: "parley"). */
const INSERT_LOCK = 0x7061726c;

/** Options of the PostgreSQL store, beyond the SQLite store's. */
export interface PostgresStoreOptions extends ChatStoreOptions {
  /** How long to wait for a connection or a query before answering `storage_failed`. @default 5000 */
  readonly timeoutMs?: number;
  /** Connections in the pool. @default 10 */
  readonly poolSize?: number;
}

interface Row {
  id: string;
  room: string;
  sender: string;
  from_id: string | null;
  type: string;
  content: Buffer;
  ts: string;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS messages (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room    TEXT   NOT NULL,
  sender  TEXT   NOT NULL,
  type    TEXT   NOT NULL DEFAULT 'text',
  content BYTEA  NOT NULL,
  ts      BIGINT NOT NULL,
  from_id TEXT
);
CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id);
CREATE TABLE IF NOT EXISTS chat_schema (version INTEGER NOT NULL);
`;

const COLUMNS = 'id, room, sender, from_id, type, content, ts';

function toMessage(row: Row): StoredMessage {
  return {
    id: Number(row.id),
    room: row.room,
    from: row.sender,
    fromId: row.from_id,
    type: row.type as MessageType,
    content: row.content.toString('utf8'),
    ts: Number(row.ts),
  };
}

/** The URL without its password, for messages and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

function defaultOnError(error: unknown, operation: string): void {
  console.error(`[chat store] ${operation} failed:`, error);
}

/** The chat's messages in PostgreSQL; see the file comment for what it guarantees. */
export class PostgresStore implements MessageStore {
  /** Always `postgres`. */
  readonly kind = 'postgres' as const;
  /** Always true: the rows live in the database server. */
  readonly persistent = true;
  /** The database URL, password hidden. */
  readonly url: string;

  private readonly pool: pg.Pool;
  private readonly now: () => number;
  private readonly onError: (error: unknown, operation: string) => void;
  private closed = false;

  private constructor(url: string, pool: pg.Pool, options: PostgresStoreOptions) {
    this.url = redact(url);
    this.pool = pool;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? defaultOnError;
    // An idle connection that breaks (the server restarted) is reported, not thrown: the pool
    // drops it and the next query opens a new one.
    pool.on('error', (err) => this.report(err, 'idle connection'));
  }

  /**
   * Connects, creates the schema if needed and checks its version.
   * @throws ChatStoreError (code `storage_failed`) when the database cannot be reached or set up.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    pool.on('error', () => {
      // replaced by the store's handler once constructed; set-up errors surface from the queries
    });
    try {
      const client = await pool.connect();
      client.on('error', () => {
        // the failing query rejects with the same error
      });
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [INSERT_LOCK]);
        await client.query(SCHEMA_SQL);
        const found = await client.query<{ version: number }>(
          'SELECT max(version) AS version FROM chat_schema',
        );
        const version = found.rows[0]?.version ?? 0;
        if (version > SCHEMA_VERSION) {
          throw new Error(
            `database schema version ${version} is newer than this server supports (${SCHEMA_VERSION})`,
          );
        }
        if (version !== SCHEMA_VERSION) {
          await client.query('DELETE FROM chat_schema');
          await client.query('INSERT INTO chat_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      pool.removeAllListeners('error');
      return new PostgresStore(url, pool, options);
    } catch (err) {
      await pool.end().catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      throw new ChatStoreError(
        chatError('storage_failed', `cannot open chat database ${redact(url)}: ${reason}`),
        {
          cause: err,
        },
      );
    }
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private report(err: unknown, operation: string): void {
    try {
      this.onError(err, operation);
    } catch {
      // a failing logger must not turn into a rejection
    }
  }

  private async guard<T>(
    operation: string,
    publicMessage: string,
    body: () => Promise<T>,
  ): Promise<ChatValueResult<T>> {
    if (this.closed) return fail('storage_failed', 'chat storage is closed');
    try {
      return okValue(await body());
    } catch (err) {
      this.report(err, operation);
      return fail('storage_failed', publicMessage);
    }
  }

  /** Stores a message; `ok` once COMMIT returned. Errors: `storage_failed`. */
  append(message: NewMessage): Promise<ChatValueResult<StoredMessage>> {
    return this.guard('append', 'could not store the message', async () => {
      const type = message.type ?? 'text';
      const ts = this.now();
      const client = await this.pool.connect();
      // A checked-out connection that breaks emits 'error' besides failing its query: without a
      // listener that event would crash the process. The failed query already reports it.
      const ignore = (): void => {};
      client.on('error', ignore);
      let broken: unknown;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [INSERT_LOCK]);
        const inserted = await client.query<{ id: string }>(
          'INSERT INTO messages (room, sender, from_id, type, content, ts) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
          [message.room, message.from, message.fromId, type, Buffer.from(message.content, 'utf8'), ts],
        );
        await client.query('COMMIT');
        const id = Number(inserted.rows[0]?.id);
        return {
          id,
          room: message.room,
          from: message.from,
          fromId: message.fromId,
          type,
          content: message.content,
          ts,
        };
      } catch (err) {
        broken = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // A connection that failed mid-transaction is discarded rather than reused.
        client.off('error', ignore);
        client.release(broken instanceof Error ? broken : undefined);
      }
    });
  }

  /** The newest `limit` messages of `room` below `before`, oldest first. Errors: `storage_failed`. */
  history(room: string, options: HistoryOptions = {}): Promise<ChatValueResult<MessagePage>> {
    return this.guard('history', 'could not read the message history', async () => {
      const limit = clampLimit(options.limit, HISTORY_PAGE, MAX_PAGE);
      const before = options.before ?? Number.MAX_SAFE_INTEGER;
      const { rows } = await this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM messages WHERE room = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
        [room, before, limit + 1],
      );
      const hasMore = rows.length > limit;
      if (hasMore) rows.length = limit;
      return { messages: rows.reverse().map(toMessage), hasMore };
    });
  }

  /** Messages above `lastId` in any of `rooms`, oldest first, at most `limit`. Errors: `storage_failed`. */
  since(
    rooms: readonly string[],
    lastId: number,
    limit: number = SINCE_LIMIT,
  ): Promise<ChatValueResult<MessagePage>> {
    return this.guard('since', 'could not read missed messages', async () => {
      const unique = [...new Set(rooms)];
      if (unique.length === 0) return { messages: [], hasMore: false };
      const max = clampLimit(limit, SINCE_LIMIT, SINCE_LIMIT);
      const after = Number.isFinite(lastId) ? Math.floor(lastId) : 0;
      const { rows } = await this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM messages WHERE id > $1 AND room = ANY($2::text[]) ORDER BY id ASC LIMIT $3`,
        [after, unique, max + 1],
      );
      const hasMore = rows.length > max;
      if (hasMore) rows.length = max;
      return { messages: rows.map(toMessage), hasMore };
    });
  }

  /** The id of the newest message, 0 when there is none. Errors: `storage_failed`. */
  lastId(): Promise<ChatValueResult<number>> {
    return this.guard('lastId', 'could not read the last message id', async () => {
      const { rows } = await this.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM messages');
      return Number(rows[0]?.id ?? 0);
    });
  }

  /** Ends the pool. Idempotent; never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch((err: unknown) => this.report(err, 'close'));
  }
}
