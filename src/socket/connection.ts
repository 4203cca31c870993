import type { HandshakeRequest } from '../engine/types.js';
import type {
  EngineCloseReason,
  EngineSession,
  SendOptions,
  SessionHandler,
  TransportName,
} from '../engine/types.js';
import type { BroadcastFlags, WireFormat } from './adapter.js';
import { EncodedPacket, socketIoFormat } from './adapter.js';
import type { ConnectError } from './namespace.js';
import { attachBinary, decodePacket, type Packet } from './packet.js';
import { type DisconnectReason, socketReasonFor } from './reasons.js';
import { type AnySocket, buildHandshake, ConnectionInfo, NO_AUTH, type SocketClient } from './client.js';
import type { Handshake } from './socket.js';
import type { ConnectDeadlineSubject, ConnectDeadlines } from './connect-deadlines.js';

/** What a connection needs of the server: namespace lookup and a few options. */
export interface ConnectionHost {
  /** The connectTimeout of all connections, on one timer. */
  readonly connectDeadlines: ConnectDeadlines;
  readonly maxAttachments: number;
  /** Finds (or creates, for dynamic namespaces) the namespace `name`; undefined when it does not exist. */
  resolveNamespace(
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: { addClient(client: SocketClient, auth: Record<string, unknown>): void } | undefined) => void,
  ): void;
}

const COALESCE: SendOptions = Object.freeze({ coalesce: true });

/** A binary packet whose attachments are still arriving. */
interface PendingBinary {
  packet: Packet & { type: 'event' | 'ack' };
  expected: number;
  buffers: Buffer[];
}

/**
 * One Engine.IO session seen from Socket.IO: decodes packets (owning binary reassembly), routes
 * them to the socket of their namespace, and writes encoded packets back.
 */
export class Connection implements SessionHandler, SocketClient, ConnectDeadlineSubject {
  /** The wire format of this client (Socket.IO over Engine.IO). */
  get format(): WireFormat {
    return socketIoFormat;
  }
  /** Whether the underlying session has closed. */
  closed = false;

  /** This client's sockets, one per namespace: a short list (most clients use one namespace). */
  private sockets: AnySocket[] = [];
  private pendingBinary: PendingBinary | undefined;
  /** Set by the host's ConnectDeadlines while no namespace is connected yet. */
  connectDue = 0;
  private closeReason: DisconnectReason | undefined;
  private infoCache: ConnectionInfo | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly session: EngineSession,
  ) {
    // The spec wants a CONNECT first; a session that never sends one is closed after connectTimeout.
    host.connectDeadlines.add(this);
  }

  connectTimedOut(): void {
    if (this.sockets.length === 0) this.session.close();
  }

  /** The HTTP request that opened the session. */
  get request(): HandshakeRequest {
    return this.session.request;
  }

  /** The engine session as socket.io exposes it on `socket.conn`. */
  get info(): ConnectionInfo {
    const session = this.session;
    this.infoCache ??= new ConnectionInfo(
      session.id,
      () => session.transport,
      session.remoteAddress,
      session.request,
      () => session.close(),
    );
    return this.infoCache;
  }

  /** Builds a socket's handshake from the session's request and the CONNECT auth. */
  buildHandshake(auth: Record<string, unknown>, issued: number): Handshake {
    return buildHandshake(this.session.request, this.session.remoteAddress, auth, issued);
  }

  // ---- SessionHandler -------------------------------------------------------------------------

  onMessage(data: string | Buffer): void {
    if (typeof data === 'string') {
      if (this.pendingBinary) {
        this.closeWith('parse error');
        return;
      }
      const decoded = decodePacket(data, { maxAttachments: this.host.maxAttachments });
      if (!decoded.ok) {
        this.closeWith('parse error');
        return;
      }
      if (decoded.value.complete) {
        this.onPacket(decoded.value.packet);
        return;
      }
      this.pendingBinary = { packet: decoded.value.packet, expected: decoded.value.attachments, buffers: [] };
      return;
    }
    const pending = this.pendingBinary;
    if (!pending) {
      this.closeWith('parse error');
      return;
    }
    pending.buffers.push(data);
    if (pending.buffers.length < pending.expected) return;
    this.pendingBinary = undefined;
    const rebuilt = attachBinary(pending.packet, pending.buffers);
    if (!rebuilt.ok) {
      this.closeWith('parse error');
      return;
    }
    this.onPacket(rebuilt.value);
  }

  onClose(reason: EngineCloseReason, cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.host.connectDeadlines.remove(this);
    this.pendingBinary = undefined;
    const socketReason = this.closeReason ?? socketReasonFor(reason);
    for (const socket of this.sockets.slice()) socket.onClose(socketReason, cause);
    this.infoCache?.closed(reason, cause);
  }

  onUpgrade(transport: TransportName): void {
    this.infoCache?.upgraded(transport);
  }

  // ---- used by namespaces and sockets ---------------------------------------------------------

  /** Writes a packet encoded once (maybe for many recipients) in this client's wire format. */
  write(encoded: EncodedPacket, flags: BroadcastFlags, coalesce = false): void {
    if (this.closed) return;
    let options: SendOptions = flags;
    if (coalesce) {
      // The usual broadcast has no flags: one shared options object, no allocation per recipient.
      options =
        flags.volatile === undefined && flags.compress === undefined
          ? COALESCE
          : { volatile: flags.volatile, compress: flags.compress, coalesce };
    }
    this.session.send(encoded.in(this.format), options);
  }

  /** Refuses a namespace connection with CONNECT_ERROR carrying the error's message and data. */
  refuse(nsp: string, err: ConnectError): void {
    const data = err.data === undefined ? { message: err.message } : { message: err.message, data: err.data };
    this.write(new EncodedPacket({ type: 'connect_error', nsp, data }), {});
  }

  addSocket(socket: AnySocket): void {
    // Exact-size lists (concat): push or spread would reserve room for ~17.
    this.sockets = this.sockets.length === 0 ? [socket] : this.sockets.concat([socket]);
    if (this.sockets.length === 1) this.host.connectDeadlines.remove(this);
  }

  removeSocket(socket: AnySocket): void {
    this.sockets = this.sockets.filter((s) => s !== socket);
  }

  /** Closes the whole connection on a server socket's request (`socket.disconnect(true)`). */
  closeFromServer(): void {
    // As socket.io does: every socket leaves its namespace ('server namespace disconnect'), then the
    // connection closes.
    for (const socket of this.sockets.slice()) socket.disconnect();
    this.session.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private onPacket(packet: Packet): void {
    const socket = this.sockets.find((s) => s.nsp.name === packet.nsp);
    if (packet.type === 'connect') {
      if (socket) {
        this.closeWith('parse error');
        return;
      }
      this.host.resolveNamespace(packet.nsp, packet.data ?? {}, (nsp) => {
        if (this.closed) return;
        if (!nsp) {
          this.write(
            new EncodedPacket({
              type: 'connect_error',
              nsp: packet.nsp,
              data: { message: 'Invalid namespace' },
            }),
            {},
          );
          return;
        }
        // No auth payload (the usual `40`): the socket keeps a shared empty one, not an object each.
        nsp.addClient(this, packet.data ?? NO_AUTH);
      });
      return;
    }
    if (!socket) {
      // A packet for a namespace the client never joined (or already left): a DISCONNECT may
      // cross our own, anything else breaks the protocol.
      if (packet.type === 'disconnect') return;
      this.closeWith('parse error');
      return;
    }
    if (packet.type === 'connect_error') {
      this.closeWith('parse error');
      return;
    }
    socket.onPacket(packet);
  }

  private closeWith(reason: DisconnectReason): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.session.close();
  }
}
