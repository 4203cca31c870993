/**
 * What the gateway needs of one upstream Socket.IO connection, and nothing more. The gateway is
 * written against this interface only; `upstream-client.ts` implements it with the official
 * `socket.io-client` package, and switching to `parley/client` is a change of that one file.
 */

/** Where and how to open one upstream session: the client's handshake, forwarded. */
export interface UpstreamConnectOptions {
  /** The upstream server's origin, `http://host:port`. */
  readonly url: string;
  /** The upstream Socket.IO path, with a trailing slash (`/socket.io/`). */
  readonly path: string;
  /** The namespace to join upstream (`/` or `/admin`). */
  readonly namespace: string;
  /** The CONNECT packet's auth payload. */
  readonly auth: Readonly<Record<string, unknown>>;
  /** Query parameters of the upstream handshake request. */
  readonly query: Readonly<Record<string, string>>;
  /** Extra headers of the upstream handshake request(s). */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether to reconnect after a drop that the upstream server did not ask for. */
  readonly reconnection: boolean;
  /** First delay between reconnection attempts, in ms (doubled up to reconnectionDelayMax). */
  readonly reconnectionDelay: number;
  readonly reconnectionDelayMax: number;
  /** Reconnection attempts before giving up (`reconnect_failed`); Infinity: never give up. */
  readonly reconnectionAttempts: number;
  /** How long one connection attempt may take, in ms. */
  readonly connectTimeout: number;
  /** The transports to use, in order (`['websocket']`: no long-polling first). */
  readonly transports: readonly UpstreamTransport[];
}

/** The Engine.IO transports an upstream connection may use. */
export type UpstreamTransport = 'polling' | 'websocket';

/**
 * Why a connection attempt failed:
 * - `refused`: the upstream server answered with CONNECT_ERROR (a middleware said no); `data` is
 *   what it attached;
 * - `unreachable`: no Socket.IO session could be opened (refused TCP connection, HTTP error,
 *   timeout).
 */
export type UpstreamConnectError =
  | { readonly kind: 'refused'; readonly message: string; readonly data?: unknown }
  | { readonly kind: 'unreachable'; readonly message: string };

/**
 * Why an established upstream session ended:
 * - `server`: the upstream server disconnected this socket (no reconnection follows);
 * - `client`: `close()` was called;
 * - `transport`: the connection dropped (closed, ping timeout, error); a reconnection follows when
 *   it is on.
 */
export type UpstreamDisconnectKind = 'server' | 'client' | 'transport';

/** An acknowledgement callback: the peer's answer, as arguments. */
export type AckCallback = (...args: unknown[]) => void;

/** What an upstream connection reports. */
export interface UpstreamEvents {
  /** Connected (the first time and after each reconnection). */
  connect: () => void;
  /** A connection attempt failed (the first one, or a reconnection attempt). */
  connect_error: (error: UpstreamConnectError) => void;
  /** The session ended; `detail` is the underlying client's reason, for logs. */
  disconnect: (kind: UpstreamDisconnectKind, detail: string) => void;
  /** A reconnection attempt starts (1 for the first). */
  reconnect_attempt: (attempt: number) => void;
  /** Reconnected after `attempt` attempts (`connect` is reported too). */
  reconnect: (attempt: number) => void;
  /** Every reconnection attempt allowed failed: the connection is given up. */
  reconnect_failed: () => void;
}

/** One upstream Socket.IO connection (one namespace). */
export interface Upstream {
  /** Whether the session is connected now. */
  readonly connected: boolean;
  /**
   * Emits an event now (the caller buffers while disconnected: an emit then is dropped). With
   * `ack`, the upstream server's answer reaches `ack.onAnswer`, or `ack.onTimeout` runs after
   * `ack.timeoutMs`.
   */
  emit(event: string, args: readonly unknown[], ack?: UpstreamAck): void;
  /** Every event the upstream server sends; `ack` is set when it asks for an answer. */
  onAny(listener: (event: string, args: unknown[], ack: AckCallback | undefined) => void): void;
  /** Listens to one of the connection's events; returns the function that removes the listener. */
  on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]): () => void;
  /** Closes the session for good (no reconnection). */
  close(): void;
}

/** An emit's wait for the upstream server's answer. */
export interface UpstreamAck {
  readonly timeoutMs: number;
  /** The answer. */
  readonly onAnswer: AckCallback;
  /** No answer came within `timeoutMs`. */
  readonly onTimeout: () => void;
}

/** Opens upstream connections: the one seam the gateway is given. */
export type UpstreamFactory = (options: UpstreamConnectOptions) => Upstream;
