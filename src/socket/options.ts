import { type EngineOptions, type ForwardOptions, resolveOptions as resolveEngineOptions } from '../engine/index.js';
import { PLAIN_TRANSPORT_DEFAULTS, type PlainTransportOptions } from '../native/index.js';
import { type AdapterConstructor, InMemoryAdapter } from './adapter.js';
import type { AnyAdapterConstructor } from './adapter-compat.js';
import { type ConnectionStateRecoveryOptions, resolveRecoveryOptions } from './recovery.js';
import { SessionAwareAdapter } from './session-aware-adapter.js';
import type { Parser } from './custom-parser.js';

/** Options of plain WebSocket clients: their transport's, and the codec's attachment cap. */
export interface PlainWebSocketOptions extends PlainTransportOptions {
  /** Most binary frames one envelope may announce. @default the server's maxAttachments (10) */
  maxAttachments: number;
}

export type { ForwardOptions };

/**
 * Options of the Socket.IO server: the Engine.IO options plus these. `forward` (no sticky
 * sessions, ForwardOptions) is an Engine.IO option: a load balancer then needs no affinity.
 */
export interface ServerOptions extends EngineOptions {
  /**
   * How long a new connection may wait before joining a namespace, in ms.
   * @default 45000
   */
  connectTimeout: number;
  /**
   * The adapter class each namespace uses for rooms and broadcasts.
   * @default InMemoryAdapter (SessionAwareAdapter with connectionStateRecovery)
   */
  adapter: AnyAdapterConstructor;
  /**
   * Most binary attachments one packet may carry.
   * @default 10
   */
  maxAttachments: number;
  /**
   * A parser with socket.io's interface (`Encoder` and `Decoder` classes, as socket.io-parser and
   * socket.io-msgpack-parser export them) for every Socket.IO connection; the clients must use the
   * same one. Unset, parley's own codec of the default protocol (socket.io-parser's format).
   * Plain WebSocket clients keep their JSON protocol either way.
   * @default undefined
   */
  parser?: Parser;
  /**
   * socket.io's name for maxPayload; when given, it sets maxPayload.
   * @default undefined
   */
  maxHttpBufferSize?: number;
  /**
   * Accept plain WebSocket clients (an upgrade on the path without an `EIO` query parameter) as
   * sockets of the namespace named by `?nsp=` (default '/'), speaking parley's JSON protocol
   * (docs/native-websocket.md). Off, such an upgrade gets the protocol's 400 error. Heartbeat,
   * frame size and send buffer default to pingInterval, pingTimeout, maxPayload, maxBufferedBytes.
   * @default false
   */
  plainWebSocket: boolean | Partial<PlainWebSocketOptions>;
  /**
   * Serve the official browser client under the path (`<path>socket.io.min.js`...), as socket.io.
   * @default true
   */
  serveClient: boolean;
  /**
   * Remove a child of a dynamic namespace once its last socket leaves (a later connection creates
   * it again, with a new `new_namespace`).
   * @default false
   */
  cleanupEmptyChildNamespaces: boolean;
  /**
   * Connection state recovery, as socket.io 4.8: a client whose connection dropped and that
   * reconnects within maxDisconnectionDuration gets its socket id, rooms and data back, and the
   * events it missed (src/socket/recovery.ts). Any object turns it on (`{}`: every default).
   * @default undefined (off)
   */
  connectionStateRecovery?: Partial<ConnectionStateRecoveryOptions>;
}

/** The Socket.IO defaults that differ from the Engine.IO ones (path), or add to them. */
export const SERVER_DEFAULTS = Object.freeze({
  path: '/socket.io/',
  connectTimeout: 45_000,
  adapter: InMemoryAdapter as AdapterConstructor,
  maxAttachments: 10,
  plainWebSocket: false,
  serveClient: true,
  cleanupEmptyChildNamespaces: false,
} as const satisfies Partial<ServerOptions>);

/** The server's options with defaults applied, split by the layer that uses them. */
export interface ResolvedServerOptions {
  /** The path, with a leading and a trailing slash (`/socket.io/`). */
  readonly path: string;
  readonly connectTimeout: number;
  readonly adapter: AdapterConstructor;
  readonly maxAttachments: number;
  /** The custom parser, or undefined for parley's own codec. */
  readonly parser: Parser | undefined;
  /** What the Engine.IO server is given (path and maxPayload settled; its own defaults apply after). */
  readonly engine: Readonly<Partial<EngineOptions>>;
  /** The plain-WebSocket endpoint's options, or false when plain clients are not accepted. */
  readonly plainWebSocket: Readonly<PlainWebSocketOptions> | false;
  readonly serveClient: boolean;
  readonly cleanupEmptyChildNamespaces: boolean;
  /** The recovery options with defaults applied, or false when recovery is off. */
  readonly connectionStateRecovery: Readonly<ConnectionStateRecoveryOptions> | false;
}

/** The options only the Socket.IO layer reads; the engine is given the others. */
const SOCKET_ONLY_OPTIONS = [
  'connectTimeout',
  'adapter',
  'maxAttachments',
  'maxHttpBufferSize',
  'plainWebSocket',
  'serveClient',
  'cleanupEmptyChildNamespaces',
  'connectionStateRecovery',
  'parser',
] as const satisfies readonly (keyof ServerOptions)[];

/** engine.io accepts '/socket.io' and '/socket.io/' alike; one form is kept, with a trailing slash. */
function normalizePath(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

/** Applies the defaults to the options given to `new Server(...)`; undefined values count as unset. */
export function resolveServerOptions(given: Partial<ServerOptions> = {}): ResolvedServerOptions {
  const defined = Object.fromEntries(
    Object.entries(given).filter(([, value]) => value !== undefined),
  ) as Partial<ServerOptions>;
  const path = normalizePath(defined.path ?? SERVER_DEFAULTS.path);
  const maxPayload = defined.maxHttpBufferSize ?? defined.maxPayload;
  const engine: Partial<ServerOptions> = { ...defined, path };
  if (maxPayload !== undefined) engine.maxPayload = maxPayload;
  for (const key of SOCKET_ONLY_OPTIONS) delete engine[key];
  const maxAttachments = defined.maxAttachments ?? SERVER_DEFAULTS.maxAttachments;
  const plain = defined.plainWebSocket ?? SERVER_DEFAULTS.plainWebSocket;
  let plainWebSocket: Readonly<PlainWebSocketOptions> | false = false;
  if (plain !== false) {
    // Plain clients default to the engine's heartbeat, payload and buffer limits.
    const resolved = resolveEngineOptions(engine);
    plainWebSocket = Object.freeze({
      ...PLAIN_TRANSPORT_DEFAULTS,
      pingInterval: resolved.pingInterval,
      pingTimeout: resolved.pingTimeout,
      maxFrameBytes: resolved.maxPayload,
      maxBufferedBytes: resolved.maxBufferedBytes,
      maxAttachments,
      ...(plain === true ? {} : plain),
    });
  }
  const connectionStateRecovery = resolveRecoveryOptions(defined.connectionStateRecovery);
  // As socket.io: recovery needs an adapter that keeps sessions, the default one when none is given.
  const defaultAdapter = connectionStateRecovery ? SessionAwareAdapter : SERVER_DEFAULTS.adapter;
  return Object.freeze({
    path,
    connectTimeout: defined.connectTimeout ?? SERVER_DEFAULTS.connectTimeout,
    // socket.io-adapter's classes are accepted by type only (adapter-compat.ts).
    adapter: (defined.adapter as AdapterConstructor | undefined) ?? defaultAdapter,
    maxAttachments,
    parser: defined.parser,
    engine: Object.freeze(engine),
    plainWebSocket,
    serveClient: defined.serveClient ?? SERVER_DEFAULTS.serveClient,
    cleanupEmptyChildNamespaces: defined.cleanupEmptyChildNamespaces ?? SERVER_DEFAULTS.cleanupEmptyChildNamespaces,
    connectionStateRecovery,
  });
}
