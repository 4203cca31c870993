/**
 * The client's errors: typed unions of codes, one class each for connection failures and for
 * acks that will never be answered.
 */

/** Why a connection (the Engine.IO session, or a namespace's CONNECT) failed. */
export type ConnectErrorReason =
  /** A request failed, the WebSocket errored, or the server answered with an HTTP error. */
  | 'transport error'
  /** The transport closed during the handshake. */
  | 'transport close'
  /** The server sent something undecodable. */
  | 'parse error'
  /** The open packet was not a valid handshake. */
  | 'invalid handshake'
  /** No handshake within the `timeout` option. */
  | 'timeout'
  /** The server refused the namespace (CONNECT_ERROR, e.g. from a middleware): see `data`. */
  | 'refused';

/** Given to `connect_error` listeners (of a Socket) and `error` listeners (of a Manager). */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  /** Why it failed. */
  readonly reason: ConnectErrorReason;
  /** The CONNECT_ERROR's `data` (socket.io's `err.data`), for `reason: 'refused'`. */
  readonly data: unknown;
  /** More detail, for transport failures (the HTTP status and body, the WebSocket error). */
  readonly description: string | undefined;

  constructor(
    reason: ConnectErrorReason,
    message: string,
    extra: { data?: unknown; description?: string } = {},
  ) {
    super(message);
    this.reason = reason;
    this.data = extra.data;
    this.description = extra.description;
  }
}

/** Why an ack will never come. */
export type AckErrorCode =
  /** The `timeout` (or `ackTimeout`) elapsed. */
  | 'timeout'
  /** The socket disconnected before the answer came. */
  | 'disconnected'
  /** The emit was dropped: `maxBufferedPackets` were already buffered while disconnected. */
  | 'buffer full';

const ACK_MESSAGES: Readonly<Record<AckErrorCode, string>> = Object.freeze({
  // socket.io-client's message, which applications match on.
  timeout: 'operation has timed out',
  disconnected: 'socket has been disconnected',
  'buffer full': 'send buffer full: the packet was dropped',
});

/** The error an err-first ack (`timeout`, `emitWithAck`) receives when no answer will come. */
export class AckError extends Error {
  override readonly name = 'AckError';
  readonly code: AckErrorCode;

  constructor(code: AckErrorCode) {
    super(ACK_MESSAGES[code]);
    this.code = code;
  }
}
