// Validation of everything a chat client sends, with zod.
//
// Each `parse*` function is pure, never throws, and returns `{ ok: true, value }` or
// `{ ok: false, error: { code, message } }` where `message` is one human-readable sentence naming
// the offending field (the first zod issue, phrased by this module rather than by zod).
//
// Choices:
// - Content length is counted in Unicode code points (an emoji such as U+1F600 counts as 1, though
//   its JS length is 2), on the content as sent: content is stored and broadcast verbatim, it is
//   NOT trimmed. Content that is empty or only whitespace is rejected. Content containing an
//   unpaired UTF-16 surrogate is rejected, since it cannot be stored as UTF-8 unchanged.
// - Unknown fields are allowed and stripped: the parsed value only carries the known fields, so a
//   client cannot supply `id`, `from` or `ts` for its own message.
// - `message.room` defaults to `DEFAULT_ROOM` when absent or null (Python clients send None).
// - join / leave / typing accept `{ room }` or a bare room-name string (`emit('join', 'general')`);
//   the room is required there (no default).
// - History `before` and `limit` must be JSON numbers (no numeric strings); `limit` outside 1..100
//   is an error, not clamped. `before`/`limit` of null count as absent.
// - `parseLastId` accepts the handshake auth object `{ lastId }`, or the lastId value itself
//   (a number, or a decimal string as found in a query string). Absent means "no replay" (null).

import { z } from 'zod';
import { type ChatError, type ChatErrorCode, type ChatValueResult, fail, okValue } from './errors.js';

/** Room names: lowercase ASCII letters, digits, `_` and `-`, 1 to 64 characters. */
export const ROOM_PATTERN = /^[a-z0-9_-]{1,64}$/;
/** Maximum message content length, in Unicode code points. */
export const MAX_CONTENT_LENGTH = 4000;
/** The room a message goes to when it names none. */
export const DEFAULT_ROOM = 'lobby';
/** Default number of messages in a history page, and in the history sent on join. */
export const HISTORY_PAGE = 50;
/** Largest history page a client may ask for. */
export const MAX_HISTORY_LIMIT = 100;
/** The message types clients may send. */
export const MESSAGE_TYPES = ['text'] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];
export type RoomName = string;

/** A validated `message` event. */
export interface MessageInput {
  readonly type: MessageType;
  readonly content: string;
  readonly room: RoomName;
}

/** A validated join / leave / typing request. */
export interface RoomRequest {
  readonly room: RoomName;
}

/**
 * A validated `history` request: the newest page, the page `before` an id, or (to catch up after a
 * reconnect) the messages `after` the last id a client saw.
 */
export interface HistoryRequest {
  readonly room: RoomName;
  readonly before?: number;
  readonly after?: number;
  readonly limit: number;
}

// --- helpers -------------------------------------------------------------------------------------

/** The number of Unicode code points in `s` (lone surrogates count as one each). */
export function codePointLength(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

const LONE_SURROGATE = /\p{Cs}/u;
const NON_WHITESPACE = /\S/;

/** True when `name` is a valid room name. */
export function isValidRoom(name: unknown): name is RoomName {
  return typeof name === 'string' && ROOM_PATTERN.test(name);
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

// --- schemas -------------------------------------------------------------------------------------

function roomSchema(field: string) {
  return z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `${field} is required`
          : `${field} must be a string, got ${describe(iss.input)}`,
    })
    .check((ctx) => {
      const value = ctx.value;
      if (ROOM_PATTERN.test(value)) return;
      let why: string;
      if (value.length === 0) why = 'must not be empty';
      else if (value.length > 64) why = `must be at most 64 characters (got ${value.length})`;
      else why = 'may only contain lowercase letters a-z, digits 0-9, "_" and "-"';
      ctx.issues.push({ code: 'custom', input: value, message: `${field} ${why}` });
    });
}

const contentSchema = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'content is required'
        : `content must be a string, got ${describe(iss.input)}`,
  })
  .check((ctx) => {
    const value = ctx.value;
    // Code points are at least half the UTF-16 length, so very long strings are rejected without a scan.
    const length = value.length > 2 * MAX_CONTENT_LENGTH ? Number.POSITIVE_INFINITY : codePointLength(value);
    let message: string | undefined;
    if (value.length === 0) message = 'content must not be empty';
    else if (length > MAX_CONTENT_LENGTH)
      message = `content must be at most ${MAX_CONTENT_LENGTH} characters (got ${Number.isFinite(length) ? length : `more than ${2 * MAX_CONTENT_LENGTH}`})`;
    else if (!NON_WHITESPACE.test(value)) message = 'content must not be only whitespace';
    else if (LONE_SURROGATE.test(value))
      message = 'content must be valid Unicode text (it has an unpaired surrogate)';
    if (message !== undefined) ctx.issues.push({ code: 'custom', input: value, message });
  });

const typeSchema = z.enum(MESSAGE_TYPES, {
  error: (iss) =>
    iss.input === undefined
      ? 'type is required'
      : `type must be ${MESSAGE_TYPES.map((t) => JSON.stringify(t)).join(' or ')}`,
});

/** The `message` event: `{ type: "text", content, room? }`. */
export const MessageSchema = z.object(
  {
    type: typeSchema,
    content: contentSchema,
    room: roomSchema('room')
      .nullish()
      .transform((room) => room ?? DEFAULT_ROOM),
  },
  { error: (iss) => `message must be an object like {type: "text", content}, got ${describe(iss.input)}` },
);

const RoomObjectSchema = z.object(
  { room: roomSchema('room') },
  { error: (iss) => `request must be an object like {room} or a room name, got ${describe(iss.input)}` },
);

/** join / leave / typing: `{ room }` or a bare room name (read as `{ room: name }`). */
export const RoomRequestSchema = z.preprocess(
  (input) => (typeof input === 'string' ? { room: input } : input),
  RoomObjectSchema,
);

function positiveIntSchema(field: string) {
  return z
    .int({ error: `${field} must be a positive integer` })
    .positive({ error: `${field} must be a positive integer` });
}

/** `history`: `{ room, before?, limit? }`. */
export const HistoryRequestSchema = z.object(
  {
    room: roomSchema('room'),
    before: positiveIntSchema('before')
      .nullish()
      .transform((before) => before ?? undefined),
    after: z
      .int({ error: 'after must be a non-negative integer' })
      .min(0, { error: 'after must be a non-negative integer' })
      .nullish()
      .transform((after) => after ?? undefined),
    limit: z
      .int({ error: `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}` })
      .min(1, { error: `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}` })
      .max(MAX_HISTORY_LIMIT, { error: `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}` })
      .nullish()
      .transform((limit) => limit ?? HISTORY_PAGE),
  },
  {
    error: (iss) =>
      `history request must be an object like {room, before?, after?, limit?}, got ${describe(iss.input)}`,
  },
);

const LAST_ID_ERROR = 'lastId must be a non-negative integer';

const LastIdValueSchema = z.union(
  [
    z.int({ error: LAST_ID_ERROR }).min(0, { error: LAST_ID_ERROR }),
    z
      .string({ error: LAST_ID_ERROR })
      .regex(/^\d{1,15}$/, { error: LAST_ID_ERROR })
      .transform((digits) => Number(digits)),
  ],
  { error: LAST_ID_ERROR },
);

// --- issue mapping -------------------------------------------------------------------------------

function toChatError(
  error: z.ZodError,
  codeFor: (field: PropertyKey | undefined) => ChatErrorCode,
): ChatError {
  // Report the first issue only: one clear sentence, already naming its field (see the schemas).
  const issue = error.issues[0];
  return { code: codeFor(issue?.path[0]), message: issue?.message ?? 'invalid input' };
}

function run<T>(
  schema: z.ZodType<T>,
  input: unknown,
  codeFor: (field: PropertyKey | undefined) => ChatErrorCode,
): ChatValueResult<T> {
  try {
    const parsed = schema.safeParse(input);
    if (parsed.success) return okValue(parsed.data);
    const error = toChatError(parsed.error, codeFor);
    return fail(error.code, error.message);
  } catch {
    // safeParse does not throw for data, but a hostile getter or proxy could.
    return fail('invalid_request', 'request could not be read');
  }
}

// --- public parse functions ----------------------------------------------------------------------

/** Validates a `message` event. Errors: `invalid_room` for the room, `invalid_message` otherwise. */
export function parseMessage(input: unknown): ChatValueResult<MessageInput> {
  return run(MessageSchema, input, (field) => (field === 'room' ? 'invalid_room' : 'invalid_message'));
}

/**
 * Validates a join / leave / typing payload: `{ room }` or a bare room name.
 * Errors: `invalid_room` for a missing or bad room, `invalid_request` for a payload of the wrong kind.
 */
export function parseRoomRequest(input: unknown): ChatValueResult<RoomRequest> {
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    return fail(
      'invalid_request',
      `request must be an object like {room} or a room name, got ${describe(input)}`,
    );
  }
  return run(RoomRequestSchema, input, () => 'invalid_room');
}

/**
 * Validates a `history` request: `{ room, before?: positive integer id, limit?: 1..100 }`.
 * `limit` defaults to `HISTORY_PAGE`. Errors: `invalid_room` for the room, `invalid_request` otherwise.
 */
export function parseHistoryRequest(input: unknown): ChatValueResult<HistoryRequest> {
  return run(HistoryRequestSchema, input, (field) => (field === 'room' ? 'invalid_room' : 'invalid_request'));
}

/**
 * Reads the last message id a reconnecting client saw, from the handshake auth object
 * (`{ lastId }`) or from the raw value (number, or decimal string from a query string).
 * `value` is null when no lastId was given (a fresh client: nothing to replay).
 * Errors: `invalid_request`.
 */
export function parseLastId(auth: unknown): ChatValueResult<number | null> {
  let raw: unknown = auth;
  if (typeof auth === 'object' && auth !== null && !Array.isArray(auth)) {
    try {
      raw = (auth as { lastId?: unknown }).lastId;
    } catch {
      return fail('invalid_request', 'auth could not be read');
    }
  }
  if (raw === undefined || raw === null || raw === '') return okValue(null);
  return run(LastIdValueSchema, raw, () => 'invalid_request');
}
