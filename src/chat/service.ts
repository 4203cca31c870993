/**
 * The seed's chat service on a parley namespace: the same event names and shapes as its
 * Flask-SocketIO server, for Socket.IO clients and plain WebSocket clients alike.
 *
 *   message {type:"text", content, room?}  → stored, broadcast as `message` {type, content, room, id, from, fromId, ts};
 *                                            ack {ok:true, id} once committed
 *   join / leave {room}                     → ack {ok:true, room, members, history}; `presence` to the room
 *   history {room, before?, after?, limit?} → ack {ok:true, room, messages, hasMore}
 *   typing {room}                           → `typing` {room, from} to the others in the room
 *
 * Every refusal is `{ok:false, error:{code, message}}`: the ack when the client asked for one,
 * otherwise an `error` event (which plain clients receive as an error frame).
 */
import type { DefaultEventsMap, Namespace, Socket } from '../socket/index.js';
import { type ChatError, type ChatErrorCode, chatError } from './errors.js';
import { cleanName } from './names.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import {
  DEFAULT_ROOM,
  HISTORY_PAGE,
  parseHistoryRequest,
  parseLastId,
  parseMessage,
  parseRoomRequest,
} from './schema.js';
import type { ChatStore, StoredMessage } from './store.js';

/** Who is in a room, as sent in acks and `presence` events. */
export interface Member {
  id: string;
  name: string;
}

/** What the service keeps on each socket (`socket.data`). */
export interface ChatSocketData {
  name: string;
  limiter: RateLimiter;
  /** Typing notices have a budget of their own, so they cannot crowd out messages. */
  typingLimiter: RateLimiter;
}

/** Options of the chat service. */
export interface ChatServiceOptions {
  /** Where messages are kept. */
  store: ChatStore;
  /** Per-connection message rate limit. @default { limit: 20, windowMs: 10000 } */
  rateLimit?: Pick<RateLimitOptions, 'limit' | 'windowMs'>;
  /** Most missed messages replayed on reconnect (`auth.lastId`). @default 5000 */
  maxReplay?: number;
}

type Ack = (reply: unknown) => void;

/**
 * What clients send. Payloads are `unknown` on purpose: every handler validates them. The last
 * argument is the ack function when the client asked for one, or whatever else it sent.
 */
export interface ChatClientEvents {
  message: (payload: unknown, ack?: unknown) => void;
  join: (payload: unknown, ack?: unknown) => void;
  leave: (payload: unknown, ack?: unknown) => void;
  history: (payload: unknown, ack?: unknown) => void;
  typing: (payload: unknown, ack?: unknown) => void;
}

/** What the service sends to clients. */
export interface ChatServerEvents {
  message: (message: StoredMessage) => void;
  presence: (update: { room: string; members: Member[] }) => void;
  typing: (notice: { room: string; from: string }) => void;
  error: (error: ChatError) => void;
}

/** The namespace the chat is served on, with the service's event maps. */
export type ChatNamespace = Namespace<ChatClientEvents, ChatServerEvents, DefaultEventsMap, ChatSocketData>;
type ChatSocket = Socket<ChatClientEvents, ChatServerEvents, DefaultEventsMap, ChatSocketData>;

const KNOWN_EVENTS = new Set(['message', 'join', 'leave', 'history', 'typing']);
/** Typing notices per connection: a client sends one every couple of seconds while typing. */
const TYPING_RATE_LIMIT = { limit: 10, windowMs: 10_000 };

let guestCount = 0;

/** A display name from the handshake (`auth.name`, or `?name=` for clients that cannot send auth). */
function displayName(socket: ChatSocket): string {
  const fromAuth = socket.handshake.auth.name;
  const name = cleanName(typeof fromAuth === 'string' ? fromAuth : socket.handshake.query.name);
  if (name !== undefined) return name;
  guestCount++;
  return `guest-${guestCount}`;
}

/** What a request is answered with: success with its fields, or a typed refusal. */
type ChatReply = { readonly ok: true } | { readonly ok: false; readonly error: ChatError };

/** Answers a request: through the ack when there is one; a refusal without ack becomes an `error` event. */
function reply<R extends ChatReply>(socket: ChatSocket, ack: unknown, result: R): void {
  if (typeof ack === 'function') (ack as Ack)(result);
  else if (!result.ok) socket.emit('error', result.error);
}

function refusal(code: ChatErrorCode, message: string): { ok: false; error: ChatError } {
  return { ok: false, error: chatError(code, message) };
}

/** Serves the chat on a namespace. Returns a function that detaches it. */
export function attachChat(chat: ChatNamespace, options: ChatServiceOptions): () => void {
  const { store } = options;
  const maxReplay = options.maxReplay ?? 5000;

  async function members(room: string): Promise<Member[]> {
    const sockets = await chat.in(room).fetchSockets();
    return sockets
      .map((s) => ({ id: s.id, name: s.data?.name ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async function announcePresence(room: string): Promise<void> {
    chat.to(room).emit('presence', { room, members: await members(room) });
  }

  function historyOf(room: string): StoredMessage[] {
    const page = store.history(room, { limit: HISTORY_PAGE });
    return page.ok ? page.value.messages : [];
  }

  /** Sends the messages a reconnecting client missed in the rooms it is in, oldest first. */
  function replayMissed(socket: ChatSocket, lastId: number): void {
    let after = lastId;
    let sent = 0;
    const rooms = [...socket.rooms].filter((r) => r !== socket.id);
    while (sent < maxReplay) {
      const page = store.since(rooms, after, Math.min(1000, maxReplay - sent));
      if (!page.ok) {
        socket.emit('error', page.error);
        return;
      }
      for (const message of page.value.messages) socket.emit('message', message);
      sent += page.value.messages.length;
      const last = page.value.messages.at(-1);
      if (!page.value.hasMore || last === undefined) return;
      after = last.id;
    }
  }

  function onConnection(socket: ChatSocket): void {
    socket.data = {
      name: displayName(socket),
      limiter: new RateLimiter(options.rateLimit ?? {}),
      typingLimiter: new RateLimiter(TYPING_RATE_LIMIT),
    };
    socket.join(DEFAULT_ROOM);

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      reply(socket, args.at(-1), refusal('invalid_request', `unknown event "${event}"`));
    });

    socket.on('message', (payload: unknown, ack?: unknown) => {
      const allowed = socket.data.limiter.attempt();
      if (!allowed.ok) return reply(socket, ack, allowed);
      const parsed = parseMessage(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room, content, type } = parsed.value;
      if (!socket.rooms.has(room)) {
        return reply(socket, ack, refusal('not_in_room', `join room "${room}" before sending to it`));
      }
      const stored = store.append({ room, from: socket.data.name, fromId: socket.id, content, type });
      if (!stored.ok) return reply(socket, ack, stored);
      chat.to(room).emit('message', stored.value);
      reply(socket, ack, { ok: true, id: stored.value.id });
    });

    socket.on('join', async (payload: unknown, ack?: unknown) => {
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      socket.join(room);
      reply(socket, ack, { ok: true, room, members: await members(room), history: historyOf(room) });
      await announcePresence(room);
    });

    socket.on('leave', async (payload: unknown, ack?: unknown) => {
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      if (!socket.rooms.has(room)) {
        return reply(socket, ack, refusal('not_in_room', `you are not in room "${room}"`));
      }
      socket.leave(room);
      reply(socket, ack, { ok: true, room, members: await members(room), history: [] });
      await announcePresence(room);
    });

    socket.on('history', (payload: unknown, ack?: unknown) => {
      const parsed = parseHistoryRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room, before, after, limit } = parsed.value;
      if (!socket.rooms.has(room)) {
        return reply(socket, ack, refusal('not_in_room', `join room "${room}" to read its history`));
      }
      if (before !== undefined && after !== undefined) {
        return reply(socket, ack, refusal('invalid_request', 'give either before or after, not both'));
      }
      const page =
        after === undefined
          ? store.history(room, before === undefined ? { limit } : { before, limit })
          : store.since([room], after, limit);
      if (!page.ok) return reply(socket, ack, page);
      reply(socket, ack, { ok: true, room, messages: page.value.messages, hasMore: page.value.hasMore });
    });

    socket.on('typing', (payload: unknown, ack?: unknown) => {
      const allowed = socket.data.typingLimiter.attempt();
      if (!allowed.ok) return reply(socket, ack, allowed);
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      if (!socket.rooms.has(room))
        return reply(socket, ack, refusal('not_in_room', `you are not in room "${room}"`));
      socket.to(room).emit('typing', { room, from: socket.data.name });
      if (typeof ack === 'function') (ack as Ack)({ ok: true });
    });

    let roomsOnExit: string[] = [];
    socket.on('disconnecting', () => {
      roomsOnExit = [...socket.rooms].filter((r) => r !== socket.id);
    });
    socket.on('disconnect', () => {
      for (const room of roomsOnExit) void announcePresence(room);
    });

    const lastId = parseLastId(socket.handshake.auth);
    if (lastId.ok && lastId.value !== null) replayMissed(socket, lastId.value);
    else if (!lastId.ok) socket.emit('error', lastId.error);
    void announcePresence(DEFAULT_ROOM);
  }

  chat.on('connection', onConnection);
  return () => chat.off('connection', onConnection);
}
