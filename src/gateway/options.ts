import type { ServerOptions } from '../socket/index.js';
import type { UpstreamFactory, UpstreamTransport } from './upstream.js';

/** Options of `startGateway`. */
export interface GatewayOptions {
  /** The upstream Socket.IO server's origin, `http://host:port`. Required. */
  upstream: string;
  /** The upstream Socket.IO path. @default '/socket.io/' */
  path: string;
  /** Interface to listen on. @default '127.0.0.1' */
  host: string;
  /** TCP port to listen on, 0 for any. @default 8080 */
  port: number;
  /** The path clients connect to on the gateway. @default the upstream path */
  listenPath?: string;
  /**
   * Query parameters copied into the upstream auth payload (`?name=alice` gives
   * `auth.name = 'alice'`), for upstream servers that read `auth` only. A Socket.IO client's own
   * auth wins over them. @default []
   */
  authFromQuery: readonly string[];
  /** Whether the client's query parameters (but the protocols' own) are sent upstream. @default true */
  forwardQuery: boolean;
  /** The request headers copied to the upstream handshake (lower case). @default ['authorization', 'cookie'] */
  forwardHeaders: readonly string[];
  /** Whether `X-Forwarded-For` upstream carries the client's address. @default true */
  forwardedFor: boolean;
  /** Messages of one client held while its upstream reconnects; past it, `upstream_buffer_full`. @default 100 */
  maxBufferedMessages: number;
  /** How long an acknowledgement is awaited, each way, in ms. @default 30000 */
  ackTimeoutMs: number;
  /** How long one upstream connection attempt may take, in ms. @default 10000 */
  connectTimeoutMs: number;
  /** First delay between upstream reconnection attempts, in ms. @default 500 */
  reconnectionDelayMs: number;
  /** Longest delay between upstream reconnection attempts, in ms. @default 5000 */
  reconnectionDelayMaxMs: number;
  /** Upstream reconnection attempts before the client's connection is closed (`upstream_lost`). @default Infinity */
  reconnectionAttempts: number;
  /** The upstream transports. @default ['websocket'] */
  upstreamTransports: readonly UpstreamTransport[];
  /** Options of the gateway's own parley Server (heartbeat, limits...); `path` is listenPath. */
  server: Partial<ServerOptions>;
  /** Opens upstream connections. @default socket.io-client (upstream-client.ts) */
  connectUpstream?: UpstreamFactory;
}

/** The defaults of every optional field. */
export const GATEWAY_DEFAULTS = Object.freeze({
  path: '/socket.io/',
  host: '127.0.0.1',
  port: 8080,
  authFromQuery: Object.freeze([]) as readonly string[],
  forwardQuery: true,
  forwardHeaders: Object.freeze(['authorization', 'cookie']) as readonly string[],
  forwardedFor: true,
  maxBufferedMessages: 100,
  ackTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnectionDelayMs: 500,
  reconnectionDelayMaxMs: 5000,
  reconnectionAttempts: Number.POSITIVE_INFINITY,
  upstreamTransports: Object.freeze(['websocket']) as readonly UpstreamTransport[],
  server: Object.freeze({}) as Partial<ServerOptions>,
} as const satisfies Omit<GatewayOptions, 'upstream' | 'listenPath' | 'connectUpstream'>);

/** The options in force. */
export type ResolvedGatewayOptions = Readonly<Required<Omit<GatewayOptions, 'connectUpstream'>>> & {
  readonly connectUpstream: UpstreamFactory | undefined;
};

/** A path with a leading and a trailing slash. */
export function normalizePath(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

/**
 * Applies the defaults; undefined values count as unset.
 * @throws Error when `upstream` is not an http(s) URL or a bound is not a positive integer.
 */
export function resolveGatewayOptions(
  given: Partial<GatewayOptions> & Pick<GatewayOptions, 'upstream'>,
): ResolvedGatewayOptions {
  const defined = Object.fromEntries(
    Object.entries(given).filter(([, value]) => value !== undefined),
  ) as Partial<GatewayOptions> & Pick<GatewayOptions, 'upstream'>;
  const url = new URL(defined.upstream);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`upstream must be an http:// or https:// URL, not ${defined.upstream}`);
  const path = normalizePath(defined.path ?? GATEWAY_DEFAULTS.path);
  const resolved = {
    ...GATEWAY_DEFAULTS,
    ...defined,
    upstream: url.origin,
    path,
    listenPath: normalizePath(defined.listenPath ?? path),
    forwardHeaders: (defined.forwardHeaders ?? GATEWAY_DEFAULTS.forwardHeaders).map((h) => h.toLowerCase()),
    connectUpstream: defined.connectUpstream,
  };
  if (!Number.isInteger(resolved.maxBufferedMessages) || resolved.maxBufferedMessages < 0)
    throw new Error('maxBufferedMessages must be an integer >= 0');
  return Object.freeze(resolved);
}
