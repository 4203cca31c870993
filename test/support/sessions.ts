/**
 * Whether a server kept no session once its clients are gone. The code that sees sessions open (a
 * server starter, an engine fixture) registers their ends in the server's `sessionWatch`;
 * `assertNoSessions` awaits those ends, then asserts the session tables are empty. Works for an
 * Engine.IO server, a Socket.IO server (engine and plain sessions) and so for the chat's `io`.
 */
import assert from 'node:assert/strict';
import { waitUntil, withTimeout } from './waiting.js';

interface Counted {
  readonly clientsCount: number;
}

/** An Engine.IO server, or a Socket.IO server (its engine and, when on, its plain endpoint). */
export type SessionServer = Counted | { readonly engine: Counted; readonly plain?: Counted | undefined };

/** What is awaited and checked of a server's sessions before it counts as clean. */
export interface SessionWatch {
  /** Settle once a session (or a socket on it) the server opened has ended. */
  readonly ends: Promise<unknown>[];
  /** Further checks run once every end settled (e.g. "onClose called at most once"). */
  readonly checks: (() => void)[];
}

const watches = new WeakMap<object, SessionWatch>();

function engineOf(server: SessionServer): Counted {
  return 'engine' in server ? server.engine : server;
}

/** The watch of `server`'s sessions, where the code that sees them open registers their ends. */
export function sessionWatch(server: SessionServer): SessionWatch {
  const key = engineOf(server);
  let watch = watches.get(key);
  if (!watch) {
    watch = { ends: [], checks: [] };
    watches.set(key, watch);
  }
  return watch;
}

/**
 * Awaits the end of every session `server` was seen to open, then asserts that it holds none.
 * Sessions no event announced (an engine session before any namespace CONNECT on parley) are polled
 * for until the guard: the only poll, for what has no event to await.
 */
export async function assertNoSessions(server: SessionServer, timeoutMs?: number): Promise<void> {
  const watch = sessionWatch(server);
  await withTimeout(
    Promise.all(watch.ends),
    `the server side of ${watch.ends.length} sessions and sockets to end`,
    timeoutMs,
  );
  const counts: [string, Counted | undefined][] = [
    ['Engine.IO', engineOf(server)],
    ['plain', 'plain' in server ? server.plain : undefined],
  ];
  const open = () => counts.reduce((sum, [, c]) => sum + (c?.clientsCount ?? 0), 0);
  await waitUntil(() => open() === 0, 'the server holds no session', timeoutMs).catch(() => undefined);
  for (const [what, c] of counts) assert.equal(c?.clientsCount ?? 0, 0, `${what} sessions left open on the server`);
  for (const check of watch.checks) check();
}

interface ClosingEmitter {
  readonly readyState?: string;
  once(event: 'close' | 'disconnect', listener: () => void): unknown;
}
/** What `watchSockets` needs of a Socket.IO server (parley's or socket.io's). */
export interface WatchableIo {
  readonly engine: Counted;
  of(name: string): { on(event: 'connection', listener: (socket: { conn: unknown }) => void): unknown };
}

/**
 * Registers the end of every socket of `io` in '/' and in `namespaces`, and of its connection, and
 * (socket.io's engine is an emitter) of every engine session.
 */
export function watchSockets(io: WatchableIo, namespaces: readonly string[] = []): void {
  const { ends } = sessionWatch(io);
  const closeOf = (conn: ClosingEmitter): void => {
    if (conn.readyState !== 'closed') ends.push(new Promise<void>((resolve) => conn.once('close', resolve)));
  };
  const engineEvents = io.engine as unknown as { on?: (event: 'connection', fn: (conn: ClosingEmitter) => void) => void };
  if (typeof engineEvents.on === 'function') engineEvents.on('connection', closeOf);
  for (const name of ['/', ...namespaces]) {
    io.of(name).on('connection', (socket) => {
      const emitter = socket as unknown as ClosingEmitter;
      ends.push(new Promise<void>((resolve) => emitter.once('disconnect', resolve)));
      closeOf(socket.conn as unknown as ClosingEmitter);
    });
  }
}
