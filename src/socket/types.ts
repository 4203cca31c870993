/**
 * The seam between the sockets of a namespace and the clients under them: a Socket.IO connection
 * over Engine.IO (connection.ts) or a plain WebSocket client (plain-client.ts). Namespaces, rooms and
 * broadcasts see both through these types only.
 */
import type {
  HandshakeRequest,
  Outbound,
  SendOptions,
  SendResult,
  SessionObserver,
  SessionState,
  TransportName,
} from '../engine/index.js';
import type { BroadcastFlags, EncodedPacket, SocketId } from './adapter.js';
import type { ConnectionInfo } from './client.js';
import type { Socket } from './socket.js';

/** An error a middleware passes to `next` to refuse a connection; `data` reaches the client too. */
export interface ConnectError extends Error {
  data?: unknown;
}

/** What the server knows of the request that connected a socket (same fields as socket.io). */
export interface Handshake {
  /** The headers of the first HTTP request of the connection. */
  headers: HandshakeRequest['headers'];
  /** When the handshake happened, as a date string. */
  time: string;
  /** The client's IP address. */
  address: string;
  /** Whether the request came from another origin. */
  xdomain: boolean;
  /** Whether the connection is over TLS. */
  secure: boolean;
  /** When the handshake happened, in ms since the epoch. */
  issued: number;
  /** The request URL. */
  url: string;
  /** The query string parameters, each with its last value (as socket.io). */
  query: Record<string, string | string[]>;
  /** The auth payload of the CONNECT packet. */
  auth: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: a client holds sockets of any event maps.
export type AnySocket = Socket<any, any, any, any>;

/**
 * The transport session under a client, as both kinds provide it: an Engine.IO session
 * (`EngineSession`) or a plain WebSocket session (`PlainSession`).
 */
export interface ClientSession {
  /** The session id (`sid` for Engine.IO). */
  readonly id: string;
  /** The transport carrying the session now. */
  readonly transport: TransportName;
  /** What is kept of the HTTP request that opened the session. */
  readonly request: HandshakeRequest;
  readonly remoteAddress: string;
  /** The state of the session. */
  readonly state: SessionState;
  /** The Engine.IO protocol revision (4 when absent). */
  readonly protocol?: number;
  /** Whether a message sent now would be written at once (true when absent). */
  readonly writable?: boolean;
  /** Reports the session's traffic (Engine.IO sessions only). */
  observe?(observer: SessionObserver | undefined): void;
  /** Sends messages that travel together, under the bounded send buffer. */
  send(messages: Outbound | readonly Outbound[], options?: SendOptions): SendResult;
  /**
   * Closes the session. A plain WebSocket session closes with this WebSocket close `code` and
   * `reason` (default 1000, ''); an Engine.IO session has no close codes and ignores both.
   */
  close(code?: number, reason?: string): void;
}

/**
 * What a socket sees of the client under it. Namespaces, rooms and broadcasts treat both kinds of
 * client alike through this seam.
 */
export interface SocketClient {
  /** The session id (socket.io's `socket.client.id`). */
  readonly id: string;
  /** Whether the client's transport has closed. */
  readonly closed: boolean;
  /** Whether the session is open: neither closed nor closing (socket.io's `readyState === 'open'`). */
  readonly open: boolean;
  /** The HTTP request that opened the connection. */
  readonly request: HandshakeRequest;
  /** The connection as socket.io exposes it on `socket.conn`. */
  readonly info: ConnectionInfo;
  /** The same object, as socket.io names it on `socket.client`. */
  readonly conn: ConnectionInfo;
  /** Builds a socket's handshake from the request, the auth payload and when it happened. */
  buildHandshake(auth: Record<string, unknown>, issued: number): Handshake;
  /**
   * Writes a packet encoded once (maybe for many recipients) in this client's wire format;
   * `coalesce` lets a broadcast's packet wait for the end of the event-loop turn.
   */
  write(encoded: EncodedPacket, flags: BroadcastFlags, coalesce?: boolean): void;
  /** Tells the client its namespace connection was refused. */
  refuse(nsp: string, err: ConnectError): void;
  /** A socket of this client joined its namespace. */
  addSocket(socket: AnySocket): void;
  /** A socket of this client left its namespace. */
  removeSocket(socket: AnySocket): void;
  /** Closes the whole connection on a server socket's request (`socket.disconnect(true)`). */
  closeFromServer(): void;
  /** The id of this client's socket in namespace `nsp`, when the protocol fixes it (v2 clients); random otherwise. */
  socketIdFor?(nsp: string): SocketId;
  /**
   * Whether a recovered socket's welcome goes before the events it missed (plain clients: the
   * `connect` frame is their first). Socket.IO clients get the events first, as socket.io writes them.
   */
  readonly welcomeFirst?: boolean;
}
