import type { EngineCloseReason, EngineSession, SessionHandler, TransportName } from '../engine/index.js';
import { socketIoFormat, type WireFormat } from './adapter.js';
import { ClientBase, INVALID_NAMESPACE, NO_AUTH } from './client.js';
import type { ConnectDeadlineSubject, ConnectDeadlines } from './connect-deadlines.js';
import { attachBinary, decodePacket, type Packet } from './packet.js';
import { type DisconnectReason, socketReasonFor } from './reasons.js';
import type { AnySocket, SocketClient } from './types.js';

/** What a client needs of the server: namespace lookup and a few options. */
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
export class Connection extends ClientBase<EngineSession> implements SessionHandler, ConnectDeadlineSubject {
  /** This client's sockets, one per namespace (most clients use one). */
  private sockets: AnySocket[] = [];
  private pendingBinary: PendingBinary | undefined;
  /** Set by the host's ConnectDeadlines while no namespace is connected yet. */
  connectDue = 0;

  constructor(
    private readonly host: ConnectionHost,
    session: EngineSession,
  ) {
    super(session);
    // The spec wants a CONNECT first; a session that never sends one is closed after connectTimeout.
    host.connectDeadlines.add(this);
  }

  protected get format(): WireFormat {
    return socketIoFormat;
  }

  connectTimedOut(): void {
    if (this.sockets.length === 0) this.session.close();
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
    this.reportClosed(reason, cause);
  }

  onUpgrade(transport: TransportName): void {
    this.reportUpgraded(transport);
  }

  // ---- used by namespaces and sockets ---------------------------------------------------------

  addSocket(socket: AnySocket): void {
    if (this.sockets.length === 0) this.sockets = [socket];
    else this.sockets.push(socket);
    if (this.sockets.length === 1) this.host.connectDeadlines.remove(this);
  }

  removeSocket(socket: AnySocket): void {
    const index = this.sockets.indexOf(socket);
    if (index !== -1) this.sockets.splice(index, 1);
  }

  /** Closes the whole connection on a server socket's request (`socket.disconnect(true)`). */
  closeFromServer(): void {
    // As socket.io does: every socket leaves its namespace ('server namespace disconnect'), then the
    // connection closes.
    for (const socket of this.sockets.slice()) socket.disconnect();
    this.session.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  protected onPacket(packet: Packet): void {
    const socket = this.sockets.find((s) => s.nsp.name === packet.nsp);
    if (packet.type === 'connect') {
      if (socket) {
        this.closeWith('parse error');
        return;
      }
      this.host.resolveNamespace(packet.nsp, packet.data ?? {}, (nsp) => {
        if (this.closed) return;
        if (!nsp) {
          this.refuse(packet.nsp, INVALID_NAMESPACE);
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
