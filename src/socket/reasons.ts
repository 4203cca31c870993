import type { EngineCloseReason } from '../engine/types.js';

/**
 * Why a socket left its namespace. The strings are those of the official socket.io server, plus
 * "send buffer full" for a client too slow to drain a bounded send buffer.
 */
export type DisconnectReason =
  | EngineCloseReason
  /** The server closed the whole connection with `socket.disconnect(true)`. */
  | 'forced server close'
  /** The client sent a DISCONNECT packet for this namespace. */
  | 'client namespace disconnect'
  /** The server called `socket.disconnect()`. */
  | 'server namespace disconnect';

/** Every reason, for exhaustive checks in tests and docs. */
export const DISCONNECT_REASONS: readonly DisconnectReason[] = [
  'transport close',
  'transport error',
  'ping timeout',
  'parse error',
  'forced close',
  'server shutting down',
  'send buffer full',
  'forced server close',
  'client namespace disconnect',
  'server namespace disconnect',
];

/**
 * Maps why the engine session closed to why its sockets disconnected. A session closed by
 * `socket.disconnect(true)` reports 'forced server close' instead of the engine's 'forced close'.
 */
export function socketReasonFor(
  engineReason: EngineCloseReason,
  closedByServerSocket: boolean,
): DisconnectReason {
  if (engineReason === 'forced close' && closedByServerSocket) return 'forced server close';
  return engineReason;
}
