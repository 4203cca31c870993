import type { OutgoingHttpHeaders } from 'node:http';
import type { HttpExchange } from '../http/exchange.js';
import type { OutboundMessage } from '../message.js';
import type { EnginePacket } from '../packet.js';
import type { TransportName } from '../types.js';

/** One entry of a session's send buffer: an application message or a control packet. */
export type QueuedItem =
  | { readonly kind: 'message'; readonly message: OutboundMessage; readonly compress: boolean }
  | { readonly kind: 'packet'; readonly packet: EnginePacket };

/** Why a transport failed. */
export type TransportFailure = 'parse error' | 'transport error';

/** What a transport reports to the session that owns it. */
export interface TransportListener {
  /** A packet arrived from the peer. */
  onPacket(packet: EnginePacket): void;
  /** The transport failed; the session closes with `reason`. */
  onError(reason: TransportFailure, cause?: Error): void;
  /** The peer closed the transport. */
  onClose(): void;
  /** The transport became writable (a long-polling GET arrived). */
  onWritable(): void;
}

/** The one interface both transports implement. */
export interface Transport {
  /** The transport's name, as in the `transport` query parameter. */
  readonly name: TransportName;
  /** Whether {@link write} would send now. */
  readonly writable: boolean;
  /** Bytes handed to the transport that have not left yet (WebSocket bufferedAmount; 0 for polling). */
  readonly bufferedAmount: number;
  /**
   * Whether a write is still in progress, as engine.io counts it (its transport is not writable
   * then, and socket.io drops volatile packets): always false for polling, whose write takes the
   * GET (`writable` goes false).
   */
  readonly busy: boolean;
  /** Routes the transport's events to `listener`. */
  setListener(listener: TransportListener): void;
  /** Sends items; only called while {@link writable}. */
  write(items: readonly QueuedItem[]): void;
  /** Closes gracefully: a WebSocket sends its close frame after queued data; a pending GET gets a noop. */
  close(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}

/** A listener that ignores everything; used before a session takes a transport and after it lets go. */
export const IGNORE: TransportListener = Object.freeze({
  onPacket() {},
  onError() {},
  onClose() {},
  onWritable() {},
});

/** Response headers when CORS is off: shared, never mutated (transports test for it by identity). */
export const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});

/**
 * The server's `initial_headers` / `headers` listeners, as the transports see them: before an answer
 * leaves, they get its own headers (not the CORS ones) to read and change. `watched` is false while
 * nobody listens: answers then use shared header objects and emit nothing.
 */
export interface HeaderEvents {
  readonly watched: boolean;
  /** Shows `headers` to the listeners (`initial` for the handshake's answer). */
  emitHeaders(headers: OutgoingHttpHeaders, exchange: HttpExchange, initial: boolean): void;
}
