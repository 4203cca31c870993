import type { Duplex } from 'node:stream';
import { closingAnswer } from './http/answer.js';

/** Why the server refused an HTTP request or a WebSocket upgrade. */
export type EngineErrorCode =
  | 'TRANSPORT_UNKNOWN'
  | 'SESSION_ID_UNKNOWN'
  | 'BAD_HANDSHAKE_METHOD'
  | 'BAD_REQUEST'
  | 'FORBIDDEN'
  | 'UNSUPPORTED_PROTOCOL_VERSION';

/** How one error code travels: the numeric code and message of the JSON body, and the HTTP status. */
export interface EngineErrorInfo {
  readonly code: number;
  readonly message: string;
  readonly status: 400 | 403;
}

/** The one table of refusals, with the codes and messages of the official engine.io server. */
export const ENGINE_ERRORS: Readonly<Record<EngineErrorCode, EngineErrorInfo>> = Object.freeze({
  TRANSPORT_UNKNOWN: { code: 0, message: 'Transport unknown', status: 400 },
  SESSION_ID_UNKNOWN: { code: 1, message: 'Session ID unknown', status: 400 },
  BAD_HANDSHAKE_METHOD: { code: 2, message: 'Bad handshake method', status: 400 },
  BAD_REQUEST: { code: 3, message: 'Bad request', status: 400 },
  FORBIDDEN: { code: 4, message: 'Forbidden', status: 403 },
  UNSUPPORTED_PROTOCOL_VERSION: { code: 5, message: 'Unsupported protocol version', status: 400 },
});

/** A refusal: the code, and a message replacing the table's one (allowRequest's reason). */
export interface EngineError {
  readonly code: EngineErrorCode;
  readonly message?: string;
  /**
   * What engine.io tells `connection_error` listeners about it, under the same names: `{ transport }`,
   * `{ sid }`, `{ method }`, `{ protocol }`, `{ message }` (allowRequest), or `{ name, ... }` with
   * `name` one of INVALID_ORIGIN, TRANSPORT_MISMATCH, TRANSPORT_HANDSHAKE_ERROR, ID_GENERATION_ERROR.
   */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The JSON body of a refusal: `{"code":N,"message":"..."}`. */
export function errorBody(error: EngineError): string {
  const info = ENGINE_ERRORS[error.code];
  return JSON.stringify({ code: info.code, message: error.message || info.message });
}

/** Refuses a WebSocket upgrade: a raw HTTP/1.1 response with the JSON body, then the socket is destroyed. */
export function writeUpgradeError(socket: Duplex, error: EngineError): void {
  socket.on('error', ignoreSocketError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const response = closingAnswer(ENGINE_ERRORS[error.code].status, 'application/json', errorBody(error));
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.end(response, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/**
 * A no-op 'error' listener for sockets being handed over or refused. Module-level on purpose: an
 * arrow created inside a request handler would keep that handler's whole scope (the request
 * included) alive for as long as the socket lives.
 */
export function ignoreSocketError(): void {}
