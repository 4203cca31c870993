import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ENGINE_ERRORS, type EngineError } from './errors.js';
import type { RequestSource } from './http/exchange.js';

/**
 * The request an engine event names: node's IncomingMessage, or, for requests the engine answered
 * itself (`ownHttp`), what it read of them (method, url, httpVersion, headers, socket.remoteAddress).
 */
export type EngineRequest = IncomingMessage | RequestSource;

/** A refused request, as engine.io's `connection_error` event gives it. */
export interface EngineConnectionError {
  /** The refused request. */
  readonly req: EngineRequest;
  /** engine.io's code: 0 transport unknown, 1 session id unknown, 2 bad handshake method, 3 bad request, 4 forbidden, 5 unsupported protocol version. */
  readonly code: number;
  /** The code's message ("Transport unknown", ...; allowRequest's reason is in `context.message`). */
  readonly message: string;
  /** What was wrong (see EngineError.context). */
  readonly context: Readonly<Record<string, unknown>> | undefined;
}

/** The events of the engine, with engine.io's names and arguments. */
export interface EngineServerEvents<Conn> {
  /** A session opened (after its handshake answer was written). */
  connection: [conn: Conn];
  /** A request under the path was refused. */
  connection_error: [error: EngineConnectionError];
  /** The handshake answer (polling) or 101 (WebSocket) is about to be written: headers added are sent. */
  initial_headers: [headers: OutgoingHttpHeaders, req: EngineRequest];
  /** Any answer of a session (polling payloads and `ok`s, WebSocket 101s) is about to be written. */
  headers: [headers: OutgoingHttpHeaders, req: EngineRequest];
}

/** The `connection_error` of a refusal: engine.io's numeric code and message, the refusal's context. */
export function connectionError(req: EngineRequest, error: EngineError): EngineConnectionError {
  const info = ENGINE_ERRORS[error.code];
  return { req, code: info.code, message: info.message, context: error.context };
}

/** A generateId that threw, rejected or gave no usable id: engine.io's refusal. */
export function idError(error: unknown): EngineError {
  return { code: 'BAD_REQUEST', context: { name: 'ID_GENERATION_ERROR', error } };
}

/** Headers as the extra lines of a 101 answer; a list value becomes one line per entry. */
export function upgradeLines(headers: OutgoingHttpHeaders): string[] {
  const lines: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  return lines;
}
