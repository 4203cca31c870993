/**
 * The client's options, with socket.io-client's names: one interface per level (engine, manager,
 * socket), one frozen DEFAULTS, one resolve function.
 */

/** A transport name, as in socket.io-client. */
export type TransportName = 'polling' | 'websocket';

/** What the client needs of a WebSocket object: the WHATWG interface's common part (and `ws`'s). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor: the WHATWG one (browsers, Node >= 22) or `ws`'s. The third argument
 * carries `extraHeaders`, which only `ws` honours (a browser cannot set WebSocket headers).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

/** Options of the Engine.IO connection. */
export interface EngineOptions {
  /** The path the server listens on. @default '/socket.io/' */
  path: string;
  /** Extra query parameters of every request. @default {} */
  query: Record<string, string>;
  /** Extra headers of every HTTP request and (with `ws`) of the WebSocket handshake. @default {} */
  extraHeaders: Record<string, string>;
  /** The transports, tried in this order. @default ['polling', 'websocket'] */
  transports: TransportName[];
  /** Whether to upgrade from polling to WebSocket when the server offers it. @default true */
  upgrade: boolean;
  /**
   * Whether a transport that fails before the handshake falls back to the next one of
   * `transports` (socket.io-client's option; here on by default, so that
   * `['websocket', 'polling']` falls back to polling). @default true
   */
  tryAllTransports: boolean;
  /**
   * The Engine.IO protocol revision: 4 (socket.io >= 3), 3 (socket.io 2.x, python-socketio 4.x),
   * or undefined to detect it from the handshake: a polling handshake in the v3 framing, or a
   * WebSocket handshake without `maxPayload`. @default undefined
   */
  protocol: 3 | 4 | undefined;
  /** The WebSocket implementation. @default globalThis.WebSocket, else the `ws` package */
  WebSocket: WebSocketConstructor | undefined;
  /** Whether to add a trailing slash to `path`. @default true */
  addTrailingSlash: boolean;
  /** Add a cache-busting timestamp to polling requests. @default true */
  timestampRequests: boolean;
}

/** Options of a Manager (one Engine.IO connection, reconnection). */
export interface ManagerOptions extends EngineOptions {
  /** Whether to reconnect after a connection is lost. @default true */
  reconnection: boolean;
  /** How many reconnection attempts before giving up. @default Infinity */
  reconnectionAttempts: number;
  /** The first delay between attempts, in ms (doubled at each attempt). @default 1000 */
  reconnectionDelay: number;
  /** The longest delay between attempts, in ms. @default 5000 */
  reconnectionDelayMax: number;
  /** The jitter: each delay moves by up to this fraction of itself. @default 0.5 */
  randomizationFactor: number;
  /** How long a connection attempt may take before a connect_error 'timeout', in ms. @default 20000 */
  timeout: number;
  /** Whether to connect at once. @default true */
  autoConnect: boolean;
}

/** The auth payload, or a function handing it over (called at each connection). */
export type AuthOption = Record<string, unknown> | ((cb: (data: Record<string, unknown>) => void) => void);

/** Options of one Socket (one namespace). */
export interface SocketOptions {
  /** Sent with the namespace's CONNECT (protocol v5 only; v4 servers get `query` instead). */
  auth: AuthOption | undefined;
  /** Default timeout of acks, in ms (as `socket.timeout(ms)` for every emit). @default undefined */
  ackTimeout: number | undefined;
  /**
   * Most packets buffered while disconnected. Past it an emit is dropped: the socket emits
   * `packet_dropped`, and the emit's ack, when it takes an error (`timeout`, `emitWithAck`), gets
   * a {@link BufferFullError}. @default 1000
   */
  maxBufferedPackets: number;
}

/** What `io(url, opts)` takes. */
export interface IoOptions extends Partial<ManagerOptions>, Partial<SocketOptions> {
  /** A new Manager for this socket, even when one exists for the same server. @default false */
  forceNew?: boolean;
  /** Share one Manager among sockets of the same server. @default true */
  multiplex?: boolean;
}

/** The defaults of every option. */
export const CLIENT_DEFAULTS: Readonly<ManagerOptions & SocketOptions> = Object.freeze({
  path: '/socket.io/',
  query: {},
  extraHeaders: {},
  transports: ['polling', 'websocket'],
  upgrade: true,
  tryAllTransports: true,
  protocol: undefined,
  WebSocket: undefined,
  addTrailingSlash: true,
  timestampRequests: true,
  reconnection: true,
  reconnectionAttempts: Number.POSITIVE_INFINITY,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
  timeout: 20000,
  autoConnect: true,
  auth: undefined,
  ackTimeout: undefined,
  maxBufferedPackets: 1000,
} satisfies ManagerOptions & SocketOptions);

/** Fills in defaults; an explicit `undefined` is the default too. */
export function resolveManagerOptions(given: Partial<ManagerOptions>): ManagerOptions {
  const out = { ...CLIENT_DEFAULTS } as ManagerOptions & SocketOptions;
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  out.path = normalizePath(out.path, out.addTrailingSlash);
  out.transports = [...out.transports];
  return out;
}

function normalizePath(path: string, trailing: boolean): string {
  let p = path.startsWith('/') ? path : `/${path}`;
  if (trailing && !p.endsWith('/')) p += '/';
  return p;
}
