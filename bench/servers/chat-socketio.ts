/**
 * The chat service's message path on the official socket.io@4.8 server, for the `chat` scenario,
 * with parley's own pure modules (validation `parseMessage`, `cleanName`, storage `ChatStore`, `RateLimiter`)
 * so that only the server framework differs from bench/servers/chat-parley.ts. Same path
 * (/ws/chat/), same room (`lobby`, joined on connect), same events and shapes:
 *   message {type:"text", content, room?} → rate limit, validate, must be in the room, store
 *   (committed), `message` {id, room, from, fromId, type, content, ts} to the room (sender included),
 *   then the ack {ok:true, id}; a refusal is the ack {ok:false, error} (or an `error` event).
 * It announces `presence` {room, members} (the full list) to the room on connect and disconnect,
 * as parley's service did before its presence became deltas; the `chat` scenario lets presence
 * settle before it measures, so only the message path is compared. It refuses unknown events. Fresh SQLite file (WAL) in a temp folder, deleted on exit.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { chatError } from '../../src/chat/errors.js';
import { cleanName } from '../../src/chat/names.js';
import { RateLimiter } from '../../src/chat/rate-limit.js';
import { DEFAULT_ROOM, parseMessage } from '../../src/chat/schema.js';
import { ChatStore } from '../../src/chat/store.js';
import { CHAT_PATH, CHAT_RATE, tempDatabase } from './chat-common.js';
import { announce, exitOnSignals, installGcHook, portFromEnv } from './common.js';

interface Data {
  name: string;
  limiter: RateLimiter;
}

installGcHook();
const db = tempDatabase();
const store = ChatStore.open(db.path);
const httpServer = createServer();
const io = new Server(httpServer, { path: CHAT_PATH });
const KNOWN = new Set(['message', 'join', 'leave', 'history', 'typing']);
let guests = 0;

function reply(socket: Socket, ack: unknown, result: { ok: boolean; error?: unknown }): void {
  if (typeof ack === 'function') ack(result);
  else if (!result.ok) socket.emit('error', result.error);
}

async function presence(room: string): Promise<void> {
  const members = (await io.in(room).fetchSockets())
    .map((s) => ({ id: s.id, name: (s.data as Data).name }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  io.to(room).emit('presence', { room, members });
}

io.on('connection', (socket) => {
  guests++;
  const name = cleanName(socket.handshake.auth.name) ?? `guest-${guests}`;
  const data: Data = { name, limiter: new RateLimiter(CHAT_RATE) };
  socket.data = data;
  socket.join(DEFAULT_ROOM);
  socket.onAny((event: string, ...args: unknown[]) => {
    if (!KNOWN.has(event)) {
      reply(socket, args.at(-1), {
        ok: false,
        error: chatError('invalid_request', `unknown event "${event}"`),
      });
    }
  });
  socket.on('message', (payload: unknown, ack?: unknown) => {
    const allowed = data.limiter.attempt();
    if (!allowed.ok) return reply(socket, ack, allowed);
    const parsed = parseMessage(payload);
    if (!parsed.ok) return reply(socket, ack, parsed);
    const { room, content, type } = parsed.value;
    if (!socket.rooms.has(room)) {
      return reply(socket, ack, {
        ok: false,
        error: chatError('not_in_room', `join room "${room}" before sending to it`),
      });
    }
    const stored = store.append({ room, from: data.name, fromId: socket.id, content, type });
    if (!stored.ok) return reply(socket, ack, stored);
    io.to(room).emit('message', stored.value);
    reply(socket, ack, { ok: true, id: stored.value.id } as { ok: boolean });
  });
  let left: string[] = [];
  socket.on('disconnecting', () => {
    left = [...socket.rooms].filter((r) => r !== socket.id);
  });
  socket.on('disconnect', () => {
    for (const room of left) void presence(room);
  });
  void presence(DEFAULT_ROOM);
});

httpServer.listen(portFromEnv(), '127.0.0.1', () => {
  announce('chat-socketio', (httpServer.address() as AddressInfo).port);
});
exitOnSignals(
  () =>
    new Promise<void>((resolve) =>
      io.close(() => {
        store.close();
        db.remove();
        resolve();
      }),
    ),
);
