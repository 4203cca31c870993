// Typed errors and result shapes for the chat service.
//
// Everything the chat modules report to a client is a plain, JSON-serialisable value:
// success is `{ ok: true, ...fields }`, failure is `{ ok: false, error: { code, message } }`.
// Acks can therefore be sent as-is by the transport layer, for Socket.IO and plain WebSocket
// clients alike. The public functions of the chat modules return these values instead of throwing.

/** Every error code a chat client can receive. */
export type ChatErrorCode =
  /** The `message` event payload is malformed (type, content). */
  | 'invalid_message'
  /** A room name is missing or does not match `ROOM_PATTERN`. */
  | 'invalid_room'
  /** Any other malformed request (history paging fields, lastId, wrong payload kind). */
  | 'invalid_request'
  /** The client acted on a room it has not joined. */
  | 'not_in_room'
  /** The connection (or its address) spent its request budget or message rate limit; see `retryAfterMs`. */
  | 'rate_limited'
  /** The connection is in as many rooms as it may be (`--max-rooms`). */
  | 'too_many_rooms'
  /** The database could not store or read messages. */
  | 'storage_failed'
  /** An unexpected failure on the server side. */
  | 'internal_error';

/** The codes, for exhaustiveness checks and validation of values crossing a boundary. */
export const CHAT_ERROR_CODES: readonly ChatErrorCode[] = Object.freeze([
  'invalid_message',
  'invalid_room',
  'invalid_request',
  'not_in_room',
  'rate_limited',
  'too_many_rooms',
  'storage_failed',
  'internal_error',
]);

/** A clear, human-readable error; `message` names the offending field when there is one. */
export interface ChatError {
  readonly code: ChatErrorCode;
  readonly message: string;
  /** With `rate_limited`: milliseconds until the same request would be accepted. */
  readonly retryAfterMs?: number;
}

/** The failure half of every result. */
export interface ChatFailure {
  readonly ok: false;
  readonly error: ChatError;
}

/** `{ ok: true, ...T }` or a `ChatFailure`; the shape of every ack. */
export type ChatResult<T extends object = {}> = ({ ok: true } & T) | ChatFailure;

/** A result that carries one value: what the parse functions and the store return. */
export type ChatValueResult<T> = ChatResult<{ value: T }>;

/** Builds a `ChatError`. */
export function chatError(code: ChatErrorCode, message: string): ChatError {
  return { code, message };
}

/** Builds a failure result from a code and message. */
export function fail(code: ChatErrorCode, message: string): ChatFailure {
  return { ok: false, error: { code, message } };
}

/** A `rate_limited` failure: what was spent, and when to retry. */
export function rateLimited(message: string, retryAfterMs: number): ChatFailure {
  const seconds = Math.max(0.1, Math.ceil(retryAfterMs / 100) / 10);
  return {
    ok: false,
    error: { code: 'rate_limited', message: `${message}; retry in ${seconds} s`, retryAfterMs: Math.ceil(retryAfterMs) },
  };
}

/** Builds a success result: `ok({ id: 7 })` is `{ ok: true, id: 7 }`. */
export function ok<T extends object>(fields: T): { ok: true } & T {
  return { ok: true, ...fields };
}

/** Builds a value-carrying success result: `okValue(x)` is `{ ok: true, value: x }`. */
export function okValue<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** True when `value` is a known error code. */
export function isChatErrorCode(value: unknown): value is ChatErrorCode {
  return typeof value === 'string' && (CHAT_ERROR_CODES as readonly string[]).includes(value);
}

/** True when `value` has the shape of a `ChatError` with a known code. */
export function isChatError(value: unknown): value is ChatError {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as { code?: unknown; message?: unknown };
  return isChatErrorCode(record.code) && typeof record.message === 'string';
}

/**
 * Thrown only where a result cannot be returned: by `ChatStore.open` (a bad db path is a startup
 * configuration error) and by constructors given invalid options. Carries the `ChatError`.
 */
export class ChatStoreError extends Error {
  override readonly name = 'ChatStoreError';
  readonly error: ChatError;

  constructor(error: ChatError, options?: { cause?: unknown }) {
    super(error.message, options);
    this.error = error;
  }
}
