/**
 * The error frames the gateway itself sends a client (an `error` event with `{code, message}`, the
 * shape of the plain protocol's error frames, docs/native-websocket.md), one table.
 */

/** Why the gateway refused or lost something of a client's. */
export type GatewayErrorCode =
  /** The upstream server could not be reached when the client connected; the connection closes (1011). */
  | 'upstream_unreachable'
  /**
   * Every reconnection attempt to the upstream server failed, or it refused the reconnection (a
   * CONNECT_ERROR); the connection closes (1011).
   */
  | 'upstream_lost'
  /** The upstream is reconnecting and the client's buffer of waiting messages is full: this one was dropped. */
  | 'upstream_buffer_full'
  /** An event the client asked an acknowledgement for got no answer from upstream in time. */
  | 'upstream_ack_timeout';

/** Whether an error ends the client's connection. */
export const GATEWAY_ERROR_FATAL: Readonly<Record<GatewayErrorCode, boolean>> = Object.freeze({
  upstream_unreachable: true,
  upstream_lost: true,
  upstream_buffer_full: false,
  upstream_ack_timeout: false,
});

/** The WebSocket close code of a plain client whose connection a fatal error ends: 1011, "server error". */
export const UPSTREAM_CLOSE_CODE = 1011;

/** The payload of an `error` frame. */
export interface GatewayErrorFrame {
  readonly code: GatewayErrorCode;
  readonly message: string;
}
