import type { EngineCloseReason } from '../engine/index.js';

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
 * Why the sockets of a connection disconnected, for each reason its engine session can close with.
 * The names are socket.io's for both, so the table is the identity; it is a table so that a new
 * engine reason must be given its socket reason here. (`socket.disconnect(true)` makes each socket
 * leave with 'server namespace disconnect' before the session closes, as socket.io does.)
 */
const SOCKET_REASON: Readonly<Record<EngineCloseReason, DisconnectReason>> = Object.freeze({
  'transport close': 'transport close',
  'transport error': 'transport error',
  'ping timeout': 'ping timeout',
  'parse error': 'parse error',
  'forced close': 'forced close',
  'server shutting down': 'server shutting down',
  'send buffer full': 'send buffer full',
});

/** Maps why the engine session closed to why its sockets disconnected. */
export function socketReasonFor(engineReason: EngineCloseReason): DisconnectReason {
  return SOCKET_REASON[engineReason];
}
