import type { HandshakeRequest } from '../engine/types.js';
import type { EngineCloseReason, TransportName } from '../engine/types.js';
import type { BroadcastFlags, EncodedPacket } from './adapter.js';
import { TypedEmitter } from './emitter.js';
import type { ConnectError } from './namespace.js';
import type { Handshake, Socket } from './socket.js';

/** Events of `socket.conn`, with engine.io's names. */
export interface ConnectionEvents {
  /** The connection closed. */
  close: (reason: EngineCloseReason, description?: unknown) => void;
  /** The connection moved to another transport. */
  upgrade: (transport: { readonly name: TransportName }) => void;
}

/**
 * The connection under a socket, as socket.io exposes it on `socket.conn`: id, transport, request,
 * `close()`, and the 'close' and 'upgrade' events.
 */
export class ConnectionInfo extends TypedEmitter<ConnectionEvents> {
  /** 'open' until the connection closes. */
  readyState: 'open' | 'closed' = 'open';

  constructor(
    /** The Engine.IO session id (or the plain session id). */
    readonly id: string,
    private readonly currentTransport: () => TransportName,
    readonly remoteAddress: string,
    readonly request: HandshakeRequest,
    private readonly closeConnection: () => void,
  ) {
    super();
  }

  /** The transport carrying the connection now. */
  get transport(): { readonly name: TransportName } {
    return { name: this.currentTransport() };
  }

  /** Closes the whole connection (every namespace of this client). */
  close(): void {
    this.closeConnection();
  }

  /** Reports the end of the connection to 'close' listeners. */
  closed(reason: EngineCloseReason, description?: unknown): void {
    this.readyState = 'closed';
    this.emitEvent('close', [reason, description]);
  }

  /** Reports a transport change to 'upgrade' listeners. */
  upgraded(transport: TransportName): void {
    this.emitEvent('upgrade', [{ name: transport }]);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a client holds sockets of any event maps.
export type AnySocket = Socket<any, any, any, any>;

/**
 * What a socket sees of the client under it: a Socket.IO connection over Engine.IO, or a plain
 * WebSocket client. Namespaces, rooms and broadcasts treat both alike through this seam.
 */
export interface SocketClient {
  /** Whether the client's transport has closed. */
  readonly closed: boolean;
  /** The HTTP request that opened the connection. */
  readonly request: HandshakeRequest;
  /** The connection as socket.io exposes it on `socket.conn`. */
  readonly info: ConnectionInfo;
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
}

/** The auth of a CONNECT without payload, shared; each handshake gets its own empty object. */
export const NO_AUTH: Record<string, unknown> = Object.freeze({});

/** The handshake socket.io exposes, built from the request that opened the connection. */
export function buildHandshake(
  req: HandshakeRequest,
  address: string,
  auth: Record<string, unknown>,
  issued: number,
): Handshake {
  const url = req.url;
  const now = new Date(issued);
  return {
    headers: req.headers,
    time: now.toString(),
    address,
    xdomain: req.headers.origin !== undefined,
    secure: req.socket.encrypted,
    issued: now.getTime(),
    url,
    // As socket.io: every parameter with its last value.
    query: req.target.queryObject(),
    auth: auth === NO_AUTH ? {} : auth,
  };
}
