/**
 * What the chat service needs from a place that keeps messages, so the embedded SQLite store
 * (store.ts, the single-node default) and the PostgreSQL store (postgres-store.ts, shared by
 * several nodes) are interchangeable.
 *
 * Guarantees both give, and the service relies on:
 * - ids only ever increase, and are committed in id order: a reader that saw id N and asks for
 *   id > N never misses a message committed later (SQLite has one writer; PostgreSQL takes a lock
 *   around each insert, see postgres-store.ts);
 * - `append` resolves `ok` only after the row is committed, so the sender may be acked then;
 * - nothing throws: failures come back as `storage_failed` results.
 *
 * Methods may answer synchronously (SQLite) or with a promise (PostgreSQL); callers await both.
 */
import type { ChatValueResult } from './errors.js';
import type { HistoryOptions, MessagePage, NewMessage, StoredMessage } from './store.js';

/** A value now, or later. */
export type Awaitable<T> = T | Promise<T>;

/** The storage the chat service uses: see the guarantees above. */
export interface MessageStore {
  /** Which kind of store this is, for the startup log. */
  readonly kind: 'sqlite' | 'postgres';
  /** True when messages outlive the process (a file or a database server). */
  readonly persistent: boolean;
  /** Stores a message; `ok` once committed. */
  append(message: NewMessage): Awaitable<ChatValueResult<StoredMessage>>;
  /** The newest messages of a room below `before`, oldest first. */
  history(room: string, options?: HistoryOptions): Awaitable<ChatValueResult<MessagePage>>;
  /** Messages above `lastId` in any of `rooms`, oldest first. */
  since(rooms: readonly string[], lastId: number, limit?: number): Awaitable<ChatValueResult<MessagePage>>;
  /** The newest id, 0 when there is none. */
  lastId(): Awaitable<ChatValueResult<number>>;
  /** Releases the store; idempotent, never rejects. */
  close(): Awaitable<void>;
}

/** True when a `--db` value names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * Runs `then` on a store's answer: at once when it came synchronously (SQLite, so a burst of
 * requests is charged and refunded in the order it arrived, as before), else when it resolves.
 */
export function settle<T>(value: Awaitable<T>, then: (value: T) => void): Awaitable<void> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/**
 * Runs tasks one after the other: a task starts once the previous one's promise settled; while
 * nothing is pending, a synchronous task runs at once. One per socket keeps its messages in order.
 */
export function serialQueue(): (task: () => Awaitable<void>) => void {
  let tail: Promise<void> | undefined;
  const track = (running: Promise<void>): void => {
    const mine: Promise<void> = running.then(
      () => {
        if (tail === mine) tail = undefined;
      },
      () => {
        if (tail === mine) tail = undefined;
      },
    );
    tail = mine;
  };
  return (task) => {
    if (tail !== undefined) return track(tail.then(task));
    const result = task();
    if (result instanceof Promise) track(result);
  };
}
