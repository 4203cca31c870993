import type { IncomingMessage } from 'node:http';
import type { ForwardOptions } from './forward/forwarder.js';
import type { RequestSource } from './http/exchange.js';
import type { TransportName } from './types.js';

/**
 * Decides whether a CORS request's origin is allowed: `true` reflects it, a string is sent as is.
 * Beyond the `cors` package, the request comes third (its `Host` makes same-origin checks possible).
 */
export type CorsOriginFunction = (
  origin: string | undefined,
  callback: (err: Error | null, allow?: boolean | string) => void,
  req: RequestSource,
) => void;

/** CORS settings, in the shape of the `cors` package that engine.io uses. */
export interface CorsOptions {
  /**
   * Which origins may read responses: `'*'`, one origin, a list, a RegExp, `true` to reflect any
   * origin, `false` to send no CORS headers, or a function deciding per origin.
   * @default '*'
   */
  origin?: string | string[] | RegExp | boolean | CorsOriginFunction;
  /**
   * Sends `Access-Control-Allow-Credentials: true`.
   * @default false
   */
  credentials?: boolean;
  /**
   * Methods allowed in a preflight answer.
   * @default ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']
   */
  methods?: string | string[];
  /**
   * Headers allowed in a preflight answer; when unset, those the preflight asks for are reflected.
   * @default undefined
   */
  allowedHeaders?: string | string[];
  /**
   * Response headers exposed to the page.
   * @default undefined
   */
  exposedHeaders?: string | string[];
  /**
   * How long (seconds) a browser may cache a preflight answer.
   * @default undefined
   */
  maxAge?: number;
}

/** The session cookie set on the handshake response. */
export interface CookieOptions {
  /**
   * Cookie name.
   * @default 'io'
   */
  name?: string;
  /**
   * Cookie path.
   * @default '/'
   */
  path?: string;
  /**
   * Sets `HttpOnly`.
   * @default true
   */
  httpOnly?: boolean;
  /**
   * The `SameSite` attribute.
   * @default 'lax'
   */
  sameSite?: 'lax' | 'strict' | 'none';
  /**
   * Sets `Secure`.
   * @default false
   */
  secure?: boolean;
  /**
   * `Max-Age` in seconds; a session cookie when unset.
   * @default undefined
   */
  maxAge?: number;
  /**
   * The `Domain` attribute.
   * @default undefined
   */
  domain?: string;
}

/** permessage-deflate settings for the WebSocket transport. */
export interface PerMessageDeflateOptions {
  /**
   * Messages smaller than this many bytes are not compressed.
   * @default 1024
   */
  threshold?: number;
}

/**
 * Decides whether a handshake may open a session. Call `callback(null, true)` to accept, or
 * `callback(message, false)` to refuse with 403 (code 4) and `message` (or "Forbidden").
 */
export type AllowRequest = (
  req: IncomingMessage,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void;

/** Engine.IO server options. */
export interface EngineOptions {
  /**
   * The HTTP path the server answers under.
   * @default '/engine.io/'
   */
  path: string;
  /**
   * Milliseconds between two pings sent by the server.
   * @default 25000
   */
  pingInterval: number;
  /**
   * Milliseconds the client has to answer a ping with a pong before the session closes.
   * @default 20000
   */
  pingTimeout: number;
  /**
   * The largest payload (bytes) accepted in one POST body or one WebSocket message.
   * @default 1000000
   */
  maxPayload: number;
  /**
   * Milliseconds a probing WebSocket has to complete the upgrade.
   * @default 10000
   */
  upgradeTimeout: number;
  /**
   * Transports accepted, for handshakes and upgrades.
   * @default ['polling', 'websocket']
   */
  transports: readonly TransportName[];
  /**
   * Whether polling sessions may upgrade to WebSocket.
   * @default true
   */
  allowUpgrades: boolean;
  /**
   * CORS headers for HTTP requests (and OPTIONS preflight answers), or `false` for none.
   * @default false
   */
  cors: false | CorsOptions;
  /**
   * Decides whether a handshake may open a session.
   * @default undefined
   */
  allowRequest?: AllowRequest;
  /**
   * A cookie carrying the session id, set on the handshake; `true` uses the defaults.
   * @default false
   */
  cookie: boolean | CookieOptions;
  /**
   * permessage-deflate for the WebSocket transport.
   * @default false
   */
  perMessageDeflate: boolean | PerMessageDeflateOptions;
  /**
   * The bound of a session's send buffer (bytes): queued polling messages plus the WebSocket's
   * bufferedAmount. Past it, volatile messages are dropped and other messages close the session.
   * @default 10000000
   */
  maxBufferedBytes: number;
  /**
   * Generates session ids; by default 15 random bytes in base64url (20 characters).
   * @default undefined
   */
  generateId?: (req: IncomingMessage) => string;
  /**
   * Opt-in, for polling-heavy deployments: the engine answers the long-polling requests and
   * WebSocket upgrades under its path itself, on connections of a plain http.Server, instead of
   * through node:http (src/engine/http/owned.ts), for 30-40% less CPU per polling message. Off
   * by default because what is answered this way is invisible to what expects node:http: APM
   * tools, the server's `'request'` and `'upgrade'` listeners, `server.timeout`,
   * `maxRequestsPerSocket`, `closeAllConnections()` (the engine closes these connections in its
   * own `close()`, and idle ones within about a second of `server.close()`). Requests outside its
   * strict HTTP/1.1 subset, and every request outside the path, still go to node:http, as do all
   * requests when `allowRequest` or `generateId` is set (they take node's IncomingMessage), on TLS
   * servers, and when the node internals it relies on are missing (one warning line).
   * @default false
   */
  ownHttp: boolean;
  /**
   * Accept Engine.IO v3 clients (`EIO=3`: socket.io-client 2.x, the Android and iOS clients of its
   * era) beside v4 ones: v3 payload framing, the heartbeat the client drives (src/engine/v3/).
   * Off, an `EIO=3` request gets "Unsupported protocol version", as engine.io answers it.
   * @default false
   */
  allowEIO3: boolean;
  /**
   * No sticky sessions: with it, session ids name this node (`<nodeId>.<random>`), and a polling
   * request or WebSocket upgrade for a session of another node is forwarded to that node (one hop,
   * never two) and its answer passed back, so that a load balancer needs no affinity
   * (src/engine/forward/forwarder.ts, README "Scale-out"). Turns `ownHttp` off.
   * @default undefined
   */
  forward?: ForwardOptions;
}

/** Options after defaults are applied. */
export interface ResolvedEngineOptions extends Readonly<Omit<EngineOptions, 'cookie'>> {
  /** The path, with a leading slash and no trailing slash (`/engine.io`). */
  readonly basePath: string;
  /** The cookie settings with defaults applied, or `false`. */
  readonly cookie:
    | false
    | (Readonly<Required<Pick<CookieOptions, 'name' | 'path' | 'httpOnly' | 'sameSite'>>> &
        Readonly<Pick<CookieOptions, 'secure' | 'maxAge' | 'domain'>>);
}

/** The default options (the values the Engine.IO spec and the official server use). */
export const DEFAULTS = Object.freeze({
  path: '/engine.io/',
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxPayload: 1_000_000,
  upgradeTimeout: 10_000,
  transports: Object.freeze(['polling', 'websocket'] as const),
  allowUpgrades: true,
  cors: false,
  cookie: false,
  perMessageDeflate: false,
  maxBufferedBytes: 10_000_000,
  ownHttp: false,
  allowEIO3: false,
} as const satisfies Omit<EngineOptions, 'allowRequest' | 'generateId' | 'forward'>);

/** Default cookie attributes when `cookie` is enabled. */
export const COOKIE_DEFAULTS = Object.freeze({
  name: 'io',
  path: '/',
  httpOnly: true,
  sameSite: 'lax',
} as const);

/** Applies the defaults to partial options and normalizes the path. */
export function resolveOptions(options: Partial<EngineOptions> = {}): ResolvedEngineOptions {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<EngineOptions>;
  const merged = { ...DEFAULTS, ...defined };
  // '/' (every path) becomes '' here, so that the path check matches every target, as engine.io's.
  const trimmed = merged.path.replace(/\/+$/, '');
  const basePath = trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  const cookie =
    merged.cookie === false
      ? false
      : { ...COOKIE_DEFAULTS, ...(merged.cookie === true ? {} : merged.cookie) };
  return Object.freeze({
    ...merged,
    path: `${basePath}/`,
    basePath,
    transports: Object.freeze([...merged.transports]),
    cookie,
  });
}
