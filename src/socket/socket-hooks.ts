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
 * Runs the packet middlewares over `data` in order: `done()` once every one has called `next()`,
 * `rejected(err)` as soon as one passes an error to `next`, throws or rejects.
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
    let called = false;
    const settle = (err?: Error): void => {
      if (called) return;
      called = true;
      next(err);
    };
    // Thrown or rejected, even after next(): reported as the packet's error.
    const failed = (thrown: unknown): void => {
      called = true;
      rejected(thrown instanceof Error ? thrown : new Error(String(thrown)));
    };
    try {
      const returned: unknown = fn(data, settle);
      // An async middleware's rejection is its error too, not an unhandled rejection.
      if (returned instanceof Promise) returned.then(undefined, failed);
    } catch (thrown) {
      failed(thrown);
    }
  };
  next();
}
