/**
 * A socket's optional parts, created on first use (most sockets have none): its packet
 * middlewares (`socket.use`), its catch-all listeners (`onAny`, `onAnyOutgoing`) and, when the
 * server recovers connection state, its recovery state.
 */
import type { RecoveryState } from './recovery.js';

/** A packet middleware: sees `[event, ...args]` before listeners do, and may reject it. */
export type PacketMiddleware = (event: unknown[], next: (err?: Error) => void) => void;

/** A listener of every incoming (or outgoing) event. */
export type AnyListener = (event: string, ...args: unknown[]) => void;

/** The two lists of catch-all listeners: of incoming events, and of outgoing ones. */
export type CatchAll = 'any' | 'anyOutgoing';

export interface SocketHooks {
  use?: PacketMiddleware[];
  any?: AnyListener[];
  anyOutgoing?: AnyListener[];
  /** Set only when the server has connection state recovery on. */
  recovery?: RecoveryState;
}

/** Adds `listener` to the `which` list, at its end or (`first`) before the others. */
export function addCatchAll(
  hooks: SocketHooks,
  which: CatchAll,
  listener: AnyListener,
  first: boolean,
): void {
  const list = hooks[which] ?? [];
  if (first) list.unshift(listener);
  else list.push(listener);
  hooks[which] = list;
}

/** Removes `listener` from the `which` list, or every listener of it when none is given. */
export function removeCatchAll(
  hooks: SocketHooks | undefined,
  which: CatchAll,
  listener?: AnyListener,
): void {
  if (hooks === undefined) return;
  const list = hooks[which];
  if (list === undefined || listener === undefined) {
    hooks[which] = undefined;
    return;
  }
  const index = list.indexOf(listener);
  if (index !== -1) list.splice(index, 1);
  hooks[which] = list.length === 0 ? undefined : list;
}

/**
 * Calls one middleware with a `next` that passes on at most once. What it throws, or its promise
 * (a native one: then() on another thenable could run it) rejects with, goes to `failed`, with
 * that `next` and whether it was already called.
 */
export function callMiddleware<Arg, Err>(
  fn: (arg: Arg, next: (err?: Err) => void) => unknown,
  arg: Arg,
  next: (err?: Err) => void,
  failed: (thrown: unknown, next: (err?: Err) => void, called: boolean) => void,
): void {
  let called = false;
  const once = (err?: Err): void => {
    if (called) return;
    called = true;
    next(err);
  };
  const fail = (thrown: unknown): void => failed(thrown, once, called);
  try {
    const returned = fn(arg, once);
    if (returned instanceof Promise) returned.then(undefined, fail);
  } catch (thrown) {
    fail(thrown);
  }
}

/**
 * Runs the packet middlewares over `data` in order: `done()` once every one has called `next()`,
 * `rejected(err)` as soon as one passes an error to `next`, throws or rejects (even after its
 * `next()`: reported as the packet's error).
 */
export function runPacketMiddlewares(
  middlewares: readonly PacketMiddleware[],
  data: unknown[],
  done: () => void,
  rejected: (err: Error) => void,
): void {
  let index = 0;
  const next = (err?: Error): void => {
    if (err) {
      rejected(err);
      return;
    }
    const fn = middlewares[index++];
    if (!fn) {
      done();
      return;
    }
    callMiddleware(fn, data, next, (thrown, once, called) => {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      if (called) rejected(error);
      else once(error);
    });
  };
  next();
}
