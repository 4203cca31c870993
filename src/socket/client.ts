import type {
  CreatedPacket,
  EngineCloseReason,
  EnginePacket,
  HandshakeRequest,
  PacketType,
  SendOptions,
  SessionObserver,
  SessionState,
  TransportName,
} from '../engine/index.js';
import { type BroadcastFlags, EncodedPacket, type WireFormat } from './adapter.js';
import { packetOfMessages } from './adapter-bridge.js';
import { TypedEmitter } from './emitter.js';
import { EncodeError } from './encode-error.js';
import type { DisconnectReason } from './reasons.js';
import type { AnySocket, ClientSession, ConnectError, Handshake, SocketClient } from './types.js';

/** The transport of a connection, as `socket.conn.transport` reads on socket.io. */
export interface TransportView {
  /** 'polling' or 'websocket'. */
  readonly name: TransportName;
  /** Whether a packet sent now would be written at once (a GET is held, or no WebSocket write is in progress). */
  readonly writable: boolean;
}

/** An Engine.IO packet as `socket.conn`'s `packet` listeners get it (engine.io's shape: `data` when it has some). */
export interface ReceivedPacket {
  readonly type: PacketType;
  readonly data?: string | Buffer;
}

/** Events of `socket.conn`, with engine.io's names and arguments. */
export interface ConnectionEvents {
  /** The connection closed. */
  close: (reason: EngineCloseReason, description?: unknown) => void;
  /** The connection moved to another transport. */
  upgrade: (transport: { readonly name: TransportName }) => void;
  /** A WebSocket answered the upgrade probe: the move to it has begun. */
  upgrading: (transport: { readonly name: TransportName }) => void;
  /** An Engine.IO packet arrived (message, pong...), before it is acted on. */
  packet: (packet: ReceivedPacket) => void;
  /** An Engine.IO packet (message, ping) is about to be sent; `options.compress` as engine.io sets it. */
  packetCreate: (packet: CreatedPacket) => void;
  /** What was buffered went to the transport. */
  drain: () => void;
  /** The client answered a ping. */
  heartbeat: () => void;
}

/** The events an Engine.IO session reports only while someone listens (SessionObserver). */
const OBSERVED: ReadonlySet<string | symbol> = new Set(['packet', 'packetCreate', 'drain', 'heartbeat', 'upgrading']);

/**
 * The connection under a socket, as socket.io exposes it on `socket.conn` (and `socket.client.conn`,
 * and in the engine's `connection` event): id, transport, readyState, protocol, request,
 * `close()`, and engine.io's events. The traffic events (`packet`, `packetCreate`, `drain`,
 * `heartbeat`, `upgrading`) are reported by the session only while one of them has a listener, so
 * an unwatched connection pays nothing for them. Plain WebSocket connections have no Engine.IO
 * packets: they report `close` only.
 */
export class ConnectionInfo extends TypedEmitter<ConnectionEvents> implements SessionObserver {
  private view: TransportView | undefined;
  private observing = false;

  constructor(private readonly session: ClientSession) {
    super();
  }

  /** The Engine.IO session id (or the plain session id). */
  get id(): string {
    return this.session.id;
  }

  get remoteAddress(): string {
    return this.session.remoteAddress;
  }

  get request(): HandshakeRequest {
    return this.session.request;
  }

  /** The Engine.IO protocol revision: 4. */
  get protocol(): number {
    return this.session.protocol ?? 4;
  }

  /** 'open', 'closing' (closed by the server, last packets on their way) or 'closed'. */
  get readyState(): SessionState {
    return this.session.state;
  }

  /** The transport carrying the connection now. */
  get transport(): TransportView {
    if (this.view === undefined) {
      const session = this.session;
      this.view = {
        get name() {
          return session.transport;
        },
        get writable() {
          return session.state === 'open' && (session.writable ?? true);
        },
      };
    }
    return this.view;
  }

  override on<Ev extends keyof ConnectionEvents & (string | symbol)>(event: Ev, listener: ConnectionEvents[Ev]): this {
    super.on(event, listener);
    if (!this.observing && OBSERVED.has(event) && this.session.observe !== undefined) {
      this.observing = true;
      this.session.observe(this);
    }
    return this;
  }

  override off<Ev extends keyof ConnectionEvents & (string | symbol)>(event: Ev, listener?: ConnectionEvents[Ev]): this {
    super.off(event, listener);
    this.stopObservingUnlessListened();
    return this;
  }

  override removeAllListeners(event?: keyof ConnectionEvents & (string | symbol)): this {
    super.removeAllListeners(event);
    this.stopObservingUnlessListened();
    return this;
  }

  private stopObservingUnlessListened(): void {
    if (!this.observing) return;
    for (const event of OBSERVED) if (this.listenerCount(event as keyof ConnectionEvents) > 0) return;
    this.observing = false;
    this.session.observe?.(undefined);
  }

  /**
   * Closes the whole connection (every namespace of this client). A plain WebSocket client gets
   * this close `code` and `reason` (default 1000; any code RFC 6455 lets an endpoint send:
   * 1000-1003, 1007-1014, 3000-4999); an Engine.IO connection has no close codes and ignores them.
   * @throws RangeError when `code` is not one a server may send (checked before anything closes).
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !isSendableCloseCode(code))
      throw new RangeError(`${code} is not a WebSocket close code a server may send`);
    if (code === undefined) this.session.close();
    else this.session.close(code, reason);
  }

  /** Reports the end of the connection to 'close' listeners. */
  closed(reason: EngineCloseReason, description?: unknown): void {
    this.emitEvent('close', [reason, description]);
  }

  /** Reports a transport change to 'upgrade' listeners. */
  upgraded(_transport: TransportName): void {
    this.emitEvent('upgrade', [this.transport]);
  }

  // ---- SessionObserver: called by the session only while observed ----------------------------

  packet(packet: EnginePacket): void {
    this.emitEvent('packet', [packet]);
  }

  packetCreate(packet: CreatedPacket): void {
    this.emitEvent('packetCreate', [packet]);
  }

  drain(): void {
    this.emitEvent('drain', []);
  }

  heartbeat(): void {
    this.emitEvent('heartbeat', []);
  }

  upgrading(transport: { readonly name: TransportName }): void {
    this.emitEvent('upgrading', [{ name: transport.name }]);
  }
}

/** Close codes a WebSocket endpoint may put in a close frame (RFC 6455 7.4; 1004-1006, 1015 never). */
function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

/** The refusal of a namespace that does not exist; one object, which v2 clients are told differently. */
export const INVALID_NAMESPACE: ConnectError = Object.freeze(new Error('Invalid namespace'));

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

const COALESCE: SendOptions = Object.freeze({ coalesce: true });

/** The flags of a write that sets none; shared, never mutated. */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

/** The CONNECT_ERROR payload for a refusal: the error's message, and its data when it has any. */
function refusalPacket(nsp: string, err: ConnectError): EncodedPacket {
  const message = String(err.message);
  if (err.data === undefined) return new EncodedPacket({ type: 'connect_error', nsp, data: { message } });
  try {
    return new EncodedPacket({ type: 'connect_error', nsp, data: { message, data: err.data } });
  } catch (thrown) {
    // The refusal still reaches the client: without the data it could not carry.
    if (!(thrown instanceof EncodeError)) throw thrown;
    return new EncodedPacket({ type: 'connect_error', nsp, data: { message } });
  }
}

/**
 * What both kinds of client share: the handshake and `socket.conn` built from their session, how an
 * encoded packet is written in their wire format, and how a namespace refusal (CONNECT_ERROR) is
 * told. Subclasses decode what their session receives.
 */
export abstract class ClientBase<Session extends ClientSession> implements SocketClient {
  /** Whether the session has closed. */
  closed = false;
  /** Why the sockets leave, when the client itself decided the session ends. */
  protected closeReason: DisconnectReason | undefined;
  private infoCache: ConnectionInfo | undefined;

  constructor(readonly session: Session) {}

  /** The wire format of this client. */
  protected abstract get format(): WireFormat;

  abstract addSocket(socket: AnySocket): void;
  abstract removeSocket(socket: AnySocket): void;
  abstract closeFromServer(): void;

  /** The HTTP request that opened the session. */
  get request(): HandshakeRequest {
    return this.session.request;
  }

  /** Whether the session is open: not closed, and no close asked for. */
  get open(): boolean {
    return !this.closed && this.session.state === 'open';
  }

  /** `socket.client.id`: the session id, as socket.io's Client has it. */
  get id(): string {
    return this.session.id;
  }

  /** The session as socket.io exposes it on `socket.conn` (built on first use). */
  get info(): ConnectionInfo {
    this.infoCache ??= new ConnectionInfo(this.session);
    return this.infoCache;
  }

  /** `socket.client.conn`: the same object as `socket.conn`. */
  get conn(): ConnectionInfo {
    return this.info;
  }

  /** Builds a socket's handshake from the session's request and the CONNECT auth. */
  buildHandshake(auth: Record<string, unknown>, issued: number): Handshake {
    return buildHandshake(this.session.request, this.session.remoteAddress, auth, issued);
  }

  /** Writes a packet encoded once (maybe for many recipients) in this client's wire format. */
  write(encoded: EncodedPacket, flags: BroadcastFlags, coalesce = false): void {
    if (this.closed) return;
    const messages = encoded.in(this.format);
    if (messages.length === 0) return;
    let options: SendOptions = flags;
    if (coalesce) {
      // The usual broadcast has no flags: one shared options object, no allocation per recipient.
      options =
        flags.volatile === undefined && flags.compress === undefined
          ? COALESCE
          : { volatile: flags.volatile, compress: flags.compress, coalesce };
    }
    this.session.send(messages, options);
  }

  /**
   * socket.io's `client.writeToEngine`, as socket.io-adapter's adapters deliver broadcasts: the
   * messages of the server's encoder carry parley's packet, written in this client's format
   * (messages encoded elsewhere in socket.io-parser's format are decoded first; anything else is
   * dropped, never sent half-understood).
   */
  writeToEngine(encodedPackets: unknown, opts: { volatile?: boolean; compress?: boolean } = {}): void {
    const encoded = packetOfMessages(encodedPackets);
    if (encoded === undefined) return;
    const { volatile, compress } = opts;
    // Most broadcasts set neither flag: no options object per recipient then.
    this.write(encoded, volatile === undefined && compress === undefined ? NO_FLAGS : { volatile, compress }, true);
  }

  /**
   * Refuses a namespace connection: CONNECT_ERROR with the error's message and data (the message
   * alone when the data cannot be encoded), then what the kind of client does after a refusal.
   */
  refuse(nsp: string, err: ConnectError): void {
    this.write(refusalPacket(nsp, err), {});
    this.refused(err);
  }

  /** After a refusal was written: nothing by default (the session may try another namespace). */
  protected refused(_err: ConnectError): void {}

  /** Tells `socket.conn` listeners the session ended. */
  protected reportClosed(reason: EngineCloseReason, cause?: Error): void {
    this.infoCache?.closed(reason, cause);
  }

  /** Tells `socket.conn` listeners the session moved to another transport. */
  protected reportUpgraded(transport: TransportName): void {
    this.infoCache?.upgraded(transport);
  }
}
