import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { RequestSource } from './http/exchange.js';
import type { OutboundMessage } from './message.js';
import type { EnginePacket } from './packet.js';
import type { RequestTarget } from './request.js';

/**
 * What a session keeps of the HTTP request that opened it. The IncomingMessage itself (streams,
 * raw headers, parser state) is not kept: about a kilobyte per connection. Its usual fields are
 * here under the same names, so `request.headers`, `request.url` and
 * `request.socket.remoteAddress` read as they do on socket.io. The properties the engine's
 * middlewares (`io.engine.use`) added to the request (`session`, `user`...) are here too, read
 * and written through to that request, which is then kept (see summarizeRequest). What an
 * application declares on node's IncomingMessage for them is declared here too
 * ({@link ApplicationRequestProperties}).
 */
export interface HandshakeRequest extends ApplicationRequestProperties {
  readonly method: string;
  readonly url: string;
  /** The request target, parsed once by the engine (path, query parameters). */
  readonly target: RequestTarget;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress: string; readonly encrypted: boolean };
  /** Alias of `socket`, as on IncomingMessage. */
  readonly connection: { readonly remoteAddress: string; readonly encrypted: boolean };
}

/** The members @types/node itself declares on IncomingMessage, beyond those of Readable. */
type NodeRequestMember =
  | 'aborted'
  | 'complete'
  | 'connection'
  | 'destroy'
  | 'headers'
  | 'headersDistinct'
  | 'httpVersion'
  | 'httpVersionMajor'
  | 'httpVersionMinor'
  | 'method'
  | 'rawHeaders'
  | 'rawTrailers'
  | 'setTimeout'
  | 'socket'
  | 'statusCode'
  | 'statusMessage'
  | 'trailers'
  | 'trailersDistinct'
  | 'url';

/**
 * What an application declared on node's IncomingMessage, by declaration merging, for what its
 * middlewares add (socket.io's docs: `declare module 'http' { interface IncomingMessage {
 * session: ... } }` for express-session): those declarations type `socket.request` on parley as
 * on socket.io. Empty without any.
 */
export type ApplicationRequestProperties = Omit<IncomingMessage, keyof Readable | NodeRequestMember>;

/** Headers that only served the WebSocket handshake; nothing reads them afterwards. */
const HANDSHAKE_ONLY_HEADERS = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-accept',
]);

// Some header values are the same for most clients (host, user-agent, accept-language...), yet
// each request brings its own copy of each string. Those are kept through this table, bounded in
// entries and value length so clients cannot grow it. Only headers that describe the client
// software are shared: never cookies, credentials or addresses.
const SHARED_HEADERS = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-language',
  'accept-encoding',
  'origin',
  'upgrade',
  'connection',
  'cache-control',
  'pragma',
  'dnt',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
]);
const SHARED_VALUES = new Map<string, string>();
const SHARED_VALUES_MAX = 1024;
const SHARED_VALUE_MAX_LENGTH = 512;

function shared(value: string): string {
  if (value.length > SHARED_VALUE_MAX_LENGTH) return value;
  const known = SHARED_VALUES.get(value);
  if (known !== undefined) return known;
  if (SHARED_VALUES.size < SHARED_VALUES_MAX) SHARED_VALUES.set(value, value);
  return value;
}

/**
 * The request headers as kept per connection: without those of the WebSocket handshake (nothing
 * reads them afterwards), common values shared.
 */
function applicationHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const name in headers) {
    if (HANDSHAKE_ONLY_HEADERS.has(name)) continue;
    const value = headers[name];
    kept[name] = typeof value === 'string' && SHARED_HEADERS.has(name) ? shared(value) : value;
  }
  return kept;
}

/** The peer of the request: its address, and whether the connection is over TLS. */
interface RequestPeer {
  readonly remoteAddress: string;
  readonly encrypted: boolean;
}

class RequestSummary implements HandshakeRequest {
  readonly socket: RequestPeer;

  constructor(
    readonly method: string,
    readonly target: RequestTarget,
    readonly httpVersion: string,
    readonly headers: IncomingHttpHeaders,
    remoteAddress: string,
    encrypted: boolean,
  ) {
    this.socket = { remoteAddress, encrypted };
  }

  get url(): string {
    return this.target.url;
  }

  get connection(): RequestPeer {
    return this.socket;
  }
}

/**
 * Keeps what a session needs of the request that opened it, with its target as the engine read it.
 * `added` names the properties the engine's middlewares added to `req`: each becomes a property of
 * the summary that reads and writes `req`'s, so that the summary sees what a middleware's object
 * later puts on its request (express-session's `req.session.reload()` replaces `req.session`) as
 * socket.io's `socket.request`, which is that request, does. The request is kept only then.
 */
export function summarizeRequest(
  req: RequestSource,
  target: RequestTarget,
  added?: readonly string[],
): HandshakeRequest {
  const summary = new RequestSummary(
    shared(req.method ?? 'GET'),
    target,
    shared(req.httpVersion),
    applicationHeaders(req.headers),
    req.socket.remoteAddress ?? '',
    Boolean((req.socket as { encrypted?: boolean }).encrypted),
  );
  if (added !== undefined && added.length > 0) forwardAdded(summary, req as unknown as Record<string, unknown>, added);
  return summary;
}

/** Makes each of `keys` a property of `summary` that reads and writes the one of `req`. */
function forwardAdded(summary: RequestSummary, req: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    // The summary's own fields win: they are what the engine read.
    if (key in summary) continue;
    Object.defineProperty(summary, key, {
      get: () => req[key],
      set: (value: unknown) => {
        req[key] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * Why an Engine.IO session ended. The strings match the official engine.io server so that
 * applications and logs read the same.
 */
export type EngineCloseReason =
  /** The peer closed the transport, or sent a close packet. */
  | 'transport close'
  /** The transport failed: socket error, payload over maxPayload, a second concurrent GET. */
  | 'transport error'
  /** No pong arrived within pingTimeout of a ping. */
  | 'ping timeout'
  /** The peer sent a packet that does not decode. */
  | 'parse error'
  /** The application closed the session. */
  | 'forced close'
  /** The server is closing every session. */
  | 'server shutting down'
  /** The bounded send buffer overflowed with a non-volatile message: the peer does not keep up. */
  | 'send buffer full';

/** The Engine.IO protocol revision a session speaks: 4, or 3 with `allowEIO3`. */
export type EngineProtocol = 3 | 4;

/** The transports a session can use. */
export type TransportName = 'polling' | 'websocket';

/** What a session's state machine is in. */
export type SessionState = 'open' | 'closing' | 'closed';

/** Per-message send options. */
export interface SendOptions {
  /** Drop the message instead of buffering it when the transport is not ready or the buffer is full. */
  volatile?: boolean;
  /** Ask the WebSocket transport to compress this message (permessage-deflate must be on). */
  compress?: boolean;
  /**
   * Let the message wait for the end of the event-loop turn, so that the messages of several
   * broadcasts leave in one write. Without it a message is written at once when the transport can
   * take it, as engine.io does.
   */
  coalesce?: boolean;
}

/** What `EngineSession.send` did with a message. */
export type SendResult =
  /** Written to the transport or queued for it. */
  | 'sent'
  /** A volatile message was dropped because the transport was not writable or the buffer was full. */
  | 'dropped'
  /** The session is closed (or has just been closed because its buffer overflowed). */
  | 'closed';

/** Anything `EngineSession.send` accepts: a raw message or one prepared once for many sessions. */
export type Outbound = string | Buffer | OutboundMessage;

/** One Engine.IO session, as the layer above sees it. */
export interface EngineSession {
  /** The session id (`sid`) sent in the open packet. */
  readonly id: string;
  /** The transport currently carrying the session. */
  readonly transport: TransportName;
  /** The state of the session. */
  readonly state: SessionState;
  /** The Engine.IO protocol revision of the client (`EIO` of its handshake). */
  readonly protocol: EngineProtocol;
  /** What is kept of the HTTP request that opened the session (headers, url, socket address). */
  readonly request: HandshakeRequest;
  /** The remote address of the request that opened the session. */
  readonly remoteAddress: string;
  /**
   * Whether a message sent now would be written at once, with nothing else on its way (engine.io's
   * `transport.writable`); a volatile message is dropped when not.
   */
  readonly writable: boolean;
  /**
   * Sends one message, or several that must travel together (a packet and its binary attachments),
   * subject to the bounded send buffer.
   */
  send(messages: Outbound | readonly Outbound[], options?: SendOptions): SendResult;
  /** Flushes what is buffered, sends a close packet, then closes the transport. */
  close(): void;
  /**
   * Reports the session's traffic to `observer` from now on (undefined: to nobody). Unobserved, a
   * session pays one field check per packet.
   */
  observe(observer: SessionObserver | undefined): void;
}

/** A packet the session is about to send, as engine.io's `packetCreate` event shows it. */
export interface CreatedPacket {
  readonly type: 'message' | 'ping' | 'pong';
  readonly data?: string | Buffer;
  /** `compress` is true unless the sender asked for no compression, as in engine.io. */
  readonly options: { readonly compress: boolean };
}

/**
 * Watches one session's traffic, with engine.io's socket events as methods; a session reports to
 * one observer at most, and only while one is set (socket.conn's listeners set it).
 */
export interface SessionObserver {
  /** A packet arrived on the session's transport, before the session acts on it. */
  packet(packet: EnginePacket): void;
  /** A message or heartbeat packet is about to be queued for the transport. */
  packetCreate(packet: CreatedPacket): void;
  /** The session handed what it buffered to its transport. */
  drain(): void;
  /** A pong arrived. */
  heartbeat(): void;
  /** A WebSocket answered the probe: the upgrade to it has begun. */
  upgrading(transport: { readonly name: TransportName }): void;
}

/** The events one session reports to the layer above. */
export interface SessionHandler {
  /** A message packet arrived: text as string, binary as Buffer. */
  onMessage(data: string | Buffer): void;
  /** The session ended; called exactly once. */
  onClose(reason: EngineCloseReason, cause?: Error): void;
  /** The session moved to another transport (polling → websocket). */
  onUpgrade?(transport: TransportName): void;
}

/** The layer above Engine.IO: told of every new session, returns what receives that session's events. */
export interface EngineHandler<Conn = EngineSession> {
  onSession(session: EngineSession): SessionHandler;
  /**
   * The object the engine's `connection` event hands out for a session: the layer above's view of
   * it (socket.io's `socket.conn`). Without it, the session itself.
   */
  connectionOf?(session: EngineSession, handler: SessionHandler): Conn;
}
