/**
 * The seed's chat service on a parley namespace: the same event names and shapes as its
 * Flask-SocketIO server, for Socket.IO clients and plain WebSocket clients alike.
 *
 *   message {type:"text", content, room?}  → stored, broadcast as `message` {type, content, room, id, from, fromId, ts};
 *                                            ack {ok:true, id} once committed
 *   join {room}                             → ack {ok:true, room, members, count, history}
 *   leave {room}                            → ack {ok:true, room}
 *   history {room, before?, after?, limit?} → ack {ok:true, room, messages, hasMore}
 *   typing {room}                           → `typing` {room, from, fromId} to the others in the room
 *   (server) presence                       → {room, members, count} once to a client entering the
 *                                            lobby; {room, joined, left, count} deltas to the room
 *
 * Every request draws on its connection's budget and its address's (see budget.ts, addresses.ts).
 * Every refusal is `{ok:false, error:{code, message}}`: the ack when the client asked for one,
 * otherwise an `error` event (which plain clients receive as an error frame).
 */
import type { IncomingMessage } from 'node:http';
import type { DefaultEventsMap, Namespace, Socket } from '../socket/index.js';
import { clientAddress } from './address.js';
import { AddressBook, type ConnectionBudgets } from './addresses.js';
import { type Budget, REQUEST_COSTS } from './budget.js';
import { type ChatError, type ChatErrorCode, type ChatFailure, chatError, rateLimited } from './errors.js';
import { type MessageStore, serialQueue, settle } from './message-store.js';
import { cleanName } from './names.js';
import { type Member, Presence, type PresenceDelta, type PresenceSnapshot } from './presence.js';
import {
  DEFAULT_ROOM,
  HISTORY_PAGE,
  parseHistoryRequest,
  parseLastId,
  parseMessage,
  parseRoomRequest,
} from './schema.js';
import type { SharedBudget } from './shared-budget.js';
import type { SharedConnections } from './shared-connections.js';
import type { StoredMessage } from './store.js';

export type { Member } from './presence.js';

/** What the service keeps on each socket (`socket.data`). */
export interface ChatSocketData {
  name: string;
  /** The address the socket counts under (budgets, connection cap). */
  address: string;
  /** When the socket connected (ms since the epoch): orders members of several nodes by arrival. */
  since: number;
}

/** The limits of the service; every one is per connection or per client address. */
export interface ChatLimits {
  /** Request budget units per connection per 10 s (a message costs 1). @default 100 */
  budget: number;
  /** Request budget units shared by an address's connections per 10 s. @default 300 */
  addressBudget: number;
  /** Messages per connection per `messageWindowMs`. @default 20 */
  messages: number;
  /** @default 10000 */
  messageWindowMs: number;
  /** Rooms one connection may be in, the lobby included. @default 50 */
  maxRooms: number;
  /** Open connections per client address (IPv6: per /64). @default 50 */
  maxConnections: number;
  /** Most members a presence snapshot lists; beyond it they are only counted. @default 100 */
  memberListLimit: number;
  /** Most missed messages replayed on reconnect (`auth.lastId`), budget allowing. @default 5000 */
  maxReplay: number;
}

export const CHAT_LIMITS: Readonly<ChatLimits> = Object.freeze({
  budget: 100,
  addressBudget: 300,
  messages: 20,
  messageWindowMs: 10_000,
  maxRooms: 50,
  maxConnections: 50,
  memberListLimit: 100,
  maxReplay: 5000,
});

/** Options of the chat service. */
export interface ChatServiceOptions {
  /** Where messages are kept: SQLite (one node) or PostgreSQL (shared by several). */
  store: MessageStore;
  limits?: Partial<ChatLimits>;
  /** How long presence changes in a room are gathered into one delta. @default 100 */
  presenceWindowMs?: number;
  /** Proxies whose X-Forwarded-For is trusted for the client address (see address.ts). @default 0 */
  trustProxy?: number;
  /** How long an admitted handshake may take to connect (the server's connectTimeout). @default 45000 */
  connectTimeoutMs?: number;
  /**
   * True when the namespace's adapter spans several nodes (`--redis`): presence snapshots and
   * counts then come from `fetchSockets()` over every node instead of this node's members.
   * @default false
   */
  clustered?: boolean;
  /** The per-address budget over every node (`--redis`), checked besides this node's. */
  sharedBudget?: SharedBudget;
  /** The connection counts of every node (`--redis`): `maxConnections` then holds over all of them. */
  sharedConnections?: SharedConnections;
}

/** The service on a namespace: its admission check for handshakes, and how to detach it. */
export interface AttachedChat {
  /** Counts a handshake against its address's connection cap: undefined to admit, else the refusal. */
  admit(req: IncomingMessage): string | undefined;
  /** Stops serving: listeners removed, timers stopped. */
  detach(): void;
}

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
  presence: (update: PresenceSnapshot | PresenceDelta) => void;
  typing: (notice: { room: string; from: string; fromId: string }) => void;
  error: (error: ChatError) => void;
}

/** The namespace the chat is served on, with the service's event maps. */
export type ChatNamespace = Namespace<ChatClientEvents, ChatServerEvents, DefaultEventsMap, ChatSocketData>;
type ChatSocket = Socket<ChatClientEvents, ChatServerEvents, DefaultEventsMap, ChatSocketData>;

const KNOWN_EVENTS = new Set(['message', 'join', 'leave', 'history', 'typing']);

let guestCount = 0;

/** A display name from the handshake (`auth.name`, or `?name=` for clients that cannot send auth). */
function displayName(socket: ChatSocket): string {
  const fromAuth = socket.handshake.auth.name;
  const name = cleanName(typeof fromAuth === 'string' ? fromAuth : socket.handshake.query.name);
  if (name !== undefined) return name;
  guestCount++;
  return `guest-${guestCount}`;
}

type Ack = (reply: unknown) => void;

/** What a request is answered with: success with its fields, or a typed refusal. */
type ChatReply = { readonly ok: true } | ChatFailure;

/** Answers a request: through the ack when there is one; a refusal without ack becomes an `error` event. */
function reply<R extends ChatReply>(socket: ChatSocket, ack: unknown, result: R): void {
  if (typeof ack === 'function') (ack as Ack)(result);
  else if (!result.ok) socket.emit('error', result.error);
}

function refusal(code: ChatErrorCode, message: string): ChatFailure {
  return { ok: false, error: chatError(code, message) };
}

/** The rooms a socket is in, its own room aside. */
function joinedRooms(socket: ChatSocket): string[] {
  return [...socket.rooms].filter((r) => r !== socket.id);
}

/** Serves the chat on a namespace. */
export function attachChat(chat: ChatNamespace, options: ChatServiceOptions): AttachedChat {
  const { store } = options;
  const clustered = options.clustered ?? false;
  const cluster = options.sharedBudget;
  const budgets = new WeakMap<ChatSocket, ConnectionBudgets>();
  const budgetsOf = (socket: ChatSocket): ConnectionBudgets => {
    const found = budgets.get(socket);
    if (found === undefined) throw new Error('chat socket without budgets');
    return found;
  };
  const limits: ChatLimits = { ...CHAT_LIMITS, ...options.limits };
  const trustProxy = options.trustProxy ?? 0;
  const addresses = new AddressBook({
    maxConnections: limits.maxConnections,
    connectionBudget: limits.budget,
    addressBudget: limits.addressBudget,
    messageLimit: limits.messages,
    messageWindowMs: limits.messageWindowMs,
    admissionMs: options.connectTimeoutMs ?? 45_000,
    ...(options.sharedConnections === undefined ? {} : { shared: options.sharedConnections }),
  });
  const presence = new Presence({
    windowMs: options.presenceWindowMs ?? 100,
    listLimit: limits.memberListLimit,
    announce: (delta) => {
      if (!clustered) return void chat.to(delta.room).emit('presence', delta);
      // Each node announces its own members' changes to the room on every node; the count is the
      // room's on all of them.
      membersEverywhere(delta.room).then(
        (everyone) => chat.to(delta.room).emit('presence', { ...delta, count: everyone.count }),
        () => chat.to(delta.room).emit('presence', delta),
      );
    },
  });

  /**
   * The members of `room` on every node, first `memberListLimit` by arrival, and their count. Costs
   * one fetchSockets round trip (each node answers with its sockets in the room).
   */
  async function membersEverywhere(room: string): Promise<PresenceSnapshot> {
    const sockets = await chat.in(room).fetchSockets();
    const ordered = sockets
      .map((s) => ({ id: s.id, name: s.data.name, since: s.data.since }))
      .sort((a, b) => a.since - b.since || (a.id < b.id ? -1 : 1));
    const members = ordered.slice(0, limits.memberListLimit).map(({ id, name }) => ({ id, name }));
    return { room, members, count: sockets.length };
  }

  /** The presence of `room` as a joining client gets it: this node's, or every node's when clustered. */
  function snapshotOf(room: string, then: (snapshot: PresenceSnapshot) => void): void {
    if (!clustered) {
      then(presence.snapshot(room));
      return;
    }
    // A node that cannot reach the others (Redis down) still answers with what it knows.
    membersEverywhere(room).then(then, () => then(presence.snapshot(room)));
  }

  /**
   * Charges `cost` to the socket's budget and its address's: undefined when both could pay, else
   * the `rate_limited` refusal (nothing charged).
   */
  function charge(socket: ChatSocket, cost: number): ChatFailure | undefined {
    const own = budgetsOf(socket).budget;
    const shared = addresses.shared(socket.data.address);
    const ownWait = own.retryAfterMs(cost);
    const address = socket.data.address;
    const sharedWait = Math.max(shared.retryAfterMs(cost), cluster?.retryAfterMs(address, cost) ?? 0);
    if (ownWait > 0 || sharedWait > 0) {
      const whose =
        ownWait >= sharedWait ? `${own.capacity} per connection` : `${shared.capacity} per address`;
      return rateLimited(
        `request budget spent (${whose} per 10 s; this request costs ${cost})`,
        Math.max(ownWait, sharedWait),
      );
    }
    spend(socket, cost);
    return undefined;
  }

  /** Takes `units` the socket already used (what a request returned), as far as its budgets go. */
  function spend(socket: ChatSocket, units: number): void {
    if (units <= 0) return;
    budgetsOf(socket).budget.spend(units);
    addresses.shared(socket.data.address).spend(units);
    cluster?.spend(socket.data.address, units);
  }

  function refund(socket: ChatSocket, units: number): void {
    if (units <= 0) return;
    budgetsOf(socket).budget.refund(units);
    addresses.shared(socket.data.address).refund(units);
    cluster?.spend(socket.data.address, -units);
  }

  /** Rows the socket's budgets can pay for now, after a request's base cost. */
  function affordableRows(socket: ChatSocket): number {
    const budgets: Budget[] = [budgetsOf(socket).budget, addresses.shared(socket.data.address)];
    const across = cluster?.available(socket.data.address) ?? Number.POSITIVE_INFINITY;
    const units = Math.min(across, ...budgets.map((b) => b.available())) - REQUEST_COSTS.history;
    return Math.max(0, Math.floor(units / REQUEST_COSTS.historyRow + 1e-9));
  }

  /** The newest page of a room, or none when the store failed (the join still succeeds). */
  function historyOf(room: string, then: (messages: StoredMessage[]) => void): void {
    settle(store.history(room, { limit: HISTORY_PAGE }), (page) => then(page.ok ? page.value.messages : []));
  }

  /**
   * Sends the messages a reconnecting client missed in the rooms it is in, oldest first, as far as
   * its budget pays (a replay is a history read); past that it is told where to continue.
   */
  async function replayMissed(socket: ChatSocket, lastId: number): Promise<void> {
    const rows = Math.min(limits.maxReplay, affordableRows(socket));
    const over = charge(socket, REQUEST_COSTS.history);
    if (over !== undefined) return void socket.emit('error', over.error);
    let after = lastId;
    let sent = 0;
    const rooms = joinedRooms(socket);
    let more = true;
    while (sent < rows && more) {
      const page = await store.since(rooms, after, Math.min(1000, rows - sent));
      if (!page.ok) return void socket.emit('error', page.error);
      for (const message of page.value.messages) socket.emit('message', message);
      sent += page.value.messages.length;
      const last = page.value.messages.at(-1);
      more = page.value.hasMore && last !== undefined;
      if (last !== undefined) after = last.id;
    }
    spend(socket, sent * REQUEST_COSTS.historyRow);
    if (more && sent < limits.maxReplay) {
      const wait = budgetsOf(socket).budget.retryAfterMs(
        REQUEST_COSTS.history + HISTORY_PAGE * REQUEST_COSTS.historyRow,
      );
      socket.emit(
        'error',
        rateLimited(
          `replay stopped after message ${after}: ask history {room, after: ${after}} for the rest`,
          wait,
        ).error,
      );
    }
  }

  function enter(socket: ChatSocket, room: string): void {
    socket.join(room);
    presence.join(room, { id: socket.id, name: socket.data.name });
  }

  function exit(socket: ChatSocket, room: string): void {
    socket.leave(room);
    presence.leave(room, { id: socket.id, name: socket.data.name });
  }

  function onConnection(socket: ChatSocket): void {
    const address = clientAddress(socket.handshake.headers, socket.handshake.address, trustProxy);
    // The connection counts against its address until it closes, even after its socket leaves:
    // a client can disconnect from the namespace and keep the session open.
    const conn = socket.conn;
    if (!counted.has(conn)) {
      counted.add(conn);
      addresses.opened(address);
      conn.once('close', () => addresses.closed(address));
    }
    // The budgets stay out of socket.data: a cluster adapter serialises data for fetchSockets.
    budgets.set(socket, addresses.takeBudgets(address));
    socket.data = { name: displayName(socket), address, since: Date.now() };
    const member: Member = { id: socket.id, name: socket.data.name };
    // A store may answer later (PostgreSQL): one socket's messages are stored one after the other,
    // so their ids, broadcasts and acks keep the order the client sent them in.
    const inOrder = serialQueue();

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      const over = charge(socket, REQUEST_COSTS.unknown);
      reply(socket, ack, over ?? refusal('invalid_request', `unknown event "${event}"`));
    });

    socket.on('message', (payload: unknown, ack?: unknown) => {
      const over = charge(socket, REQUEST_COSTS.message);
      if (over !== undefined) return reply(socket, ack, over);
      const allowed = budgetsOf(socket).messages.attempt();
      if (!allowed.ok) return reply(socket, ack, allowed);
      const parsed = parseMessage(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room, content, type } = parsed.value;
      if (!socket.rooms.has(room)) {
        return reply(socket, ack, refusal('not_in_room', `join room "${room}" before sending to it`));
      }
      inOrder(() =>
        settle(store.append({ room, from: socket.data.name, fromId: socket.id, content, type }), (stored) => {
          if (!stored.ok) return reply(socket, ack, stored);
          chat.to(room).emit('message', stored.value);
          reply(socket, ack, { ok: true, id: stored.value.id });
        }),
      );
    });

    socket.on('join', (payload: unknown, ack?: unknown) => {
      const over = charge(socket, REQUEST_COSTS.join);
      if (over !== undefined) return reply(socket, ack, over);
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      if (!socket.rooms.has(room) && joinedRooms(socket).length >= limits.maxRooms) {
        return reply(
          socket,
          ack,
          refusal(
            'too_many_rooms',
            `a connection may be in at most ${limits.maxRooms} rooms: leave one first`,
          ),
        );
      }
      enter(socket, room);
      snapshotOf(room, ({ members, count }) =>
        historyOf(room, (history) => {
          // The ack carries a history page: its rows are paid for after (down to an empty budget).
          spend(socket, history.length * REQUEST_COSTS.historyRow);
          reply(socket, ack, { ok: true, room, members, count, history });
        }),
      );
    });

    socket.on('leave', (payload: unknown, ack?: unknown) => {
      const over = charge(socket, REQUEST_COSTS.leave);
      if (over !== undefined) return reply(socket, ack, over);
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      if (!socket.rooms.has(room)) {
        return reply(socket, ack, refusal('not_in_room', `you are not in room "${room}"`));
      }
      exit(socket, room);
      reply(socket, ack, { ok: true, room });
    });

    socket.on('history', (payload: unknown, ack?: unknown) => {
      const parsed = parseHistoryRequest(payload);
      // The page is paid for in advance as if full; what it did not return is given back.
      const reserved =
        REQUEST_COSTS.history + (parsed.ok ? parsed.value.limit : 0) * REQUEST_COSTS.historyRow;
      const over = charge(socket, reserved);
      if (over !== undefined) return reply(socket, ack, over);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room, before, after, limit } = parsed.value;
      if (!socket.rooms.has(room)) {
        refund(socket, reserved - REQUEST_COSTS.history);
        return reply(socket, ack, refusal('not_in_room', `join room "${room}" to read its history`));
      }
      if (before !== undefined && after !== undefined) {
        refund(socket, reserved - REQUEST_COSTS.history);
        return reply(socket, ack, refusal('invalid_request', 'give either before or after, not both'));
      }
      const read =
        after === undefined
          ? store.history(room, before === undefined ? { limit } : { before, limit })
          : store.since([room], after, limit);
      settle(read, (page) => {
        if (!page.ok) return reply(socket, ack, page);
        refund(socket, (limit - page.value.messages.length) * REQUEST_COSTS.historyRow);
        reply(socket, ack, { ok: true, room, messages: page.value.messages, hasMore: page.value.hasMore });
      });
    });

    socket.on('typing', (payload: unknown, ack?: unknown) => {
      const over = charge(socket, REQUEST_COSTS.typing);
      if (over !== undefined) return reply(socket, ack, over);
      const allowed = budgetsOf(socket).typing.attempt();
      if (!allowed.ok) return reply(socket, ack, allowed);
      const parsed = parseRoomRequest(payload);
      if (!parsed.ok) return reply(socket, ack, parsed);
      const { room } = parsed.value;
      if (!socket.rooms.has(room))
        return reply(socket, ack, refusal('not_in_room', `you are not in room "${room}"`));
      socket.to(room).emit('typing', { room, from: socket.data.name, fromId: socket.id });
      if (typeof ack === 'function') (ack as Ack)({ ok: true });
    });

    socket.on('disconnecting', () => {
      for (const room of joinedRooms(socket)) presence.leave(room, member);
    });
    socket.on('disconnect', () => {
      addresses.release(address, budgetsOf(socket));
    });

    enter(socket, DEFAULT_ROOM);
    snapshotOf(DEFAULT_ROOM, (snapshot) => socket.emit('presence', snapshot));
    const lastId = parseLastId(socket.handshake.auth);
    if (lastId.ok && lastId.value !== null) void replayMissed(socket, lastId.value);
    else if (!lastId.ok) socket.emit('error', lastId.error);
  }

  /** The connections already counted against their address (a session may connect more than once). */
  const counted = new WeakSet<object>();
  chat.on('connection', onConnection);
  return {
    admit: (req) => addresses.admit(clientAddress(req.headers, req.socket.remoteAddress, trustProxy)),
    detach() {
      chat.off('connection', onConnection);
      presence.stop();
      addresses.stop();
    },
  };
}
