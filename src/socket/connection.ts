import type { EngineCloseReason, EngineSession, SessionHandler, TransportName } from '../engine/index.js';
import type { WireFormat } from './adapter.js';
import { ClientBase, INVALID_NAMESPACE, NO_AUTH } from './client.js';
import type { ConnectDeadlineSubject, ConnectDeadlines } from './connect-deadlines.js';
import { type DecodingSink, type Parser, ParserDecoding } from './custom-parser.js';
import { attachBinary, type DecodeError, decodePacket, type Packet } from './packet.js';
import { socketReasonFor } from './reasons.js';
import type { AnySocket, SocketClient } from './types.js';

/** What a client needs of the server: namespace lookup and a few options. */
export interface ConnectionHost {
  /** The connectTimeout of all connections, on one timer. */
  readonly connectDeadlines: ConnectDeadlines;
  readonly maxAttachments: number;
  /** How packets are written to Socket.IO clients: parley's codec, or the `parser` option's. */
  readonly format: WireFormat;
  /** The `parser` option, whose Decoder each connection then uses; undefined for parley's codec. */
  readonly parser: Parser | undefined;
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
 * One Engine.IO session seen from Socket.IO: decodes packets (owning binary reassembly, unless a
 * custom parser does), routes them to the socket of their namespace, and writes encoded packets
 * back. Refusals are socket.io's: input that cannot be decoded tells the sockets' 'error'
 * listeners, then closes the session; a packet that makes no sense for the namespace's state (a
 * second CONNECT, an EVENT for a namespace not joined) closes it with 'forced server close'.
 */
export class Connection
  extends ClientBase<EngineSession>
  implements SessionHandler, ConnectDeadlineSubject, DecodingSink
{
  /** This client's sockets, one per namespace (most clients use one). */
  private sockets: AnySocket[] = [];
  private pendingBinary: PendingBinary | undefined;
  /**
   * Sockets that left during this turn of the event loop. socket.io finds the socket of each packet
   * when it arrives and handles the packets a turn later, so a packet that arrives in the same turn
   * as its socket's leaving (after a DISCONNECT in the same payload, or an event whose handler
   * disconnected) still reaches that socket, which ignores it, instead of closing the connection.
   */
  private leftThisTurn: AnySocket[] | undefined;
  /** The custom parser's decoder, when the server has one. */
  private readonly decoding: ParserDecoding | undefined;
  /** Set by the host's ConnectDeadlines while no namespace is connected yet. */
  connectDue = 0;

  constructor(
    private readonly host: ConnectionHost,
    session: EngineSession,
  ) {
    super(session);
    if (host.parser) this.decoding = new ParserDecoding(host.parser, this);
    // The spec wants a CONNECT first; a session that never sends one is closed after connectTimeout.
    host.connectDeadlines.add(this);
  }

  protected get format(): WireFormat {
    return this.host.format;
  }

  connectTimedOut(): void {
    if (this.sockets.length === 0) this.session.close();
  }

  // ---- SessionHandler -------------------------------------------------------------------------

  onMessage(data: string | Buffer): void {
    if (this.decoding) {
      this.decoding.add(data);
      return;
    }
    if (typeof data === 'string') {
      if (this.pendingBinary) {
        this.parseError('a text packet arrived before the attachments of the binary packet before it');
        return;
      }
      const decoded = decodePacket(data, { maxAttachments: this.host.maxAttachments });
      if (!decoded.ok) {
        this.parseError(decoded.error.message);
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
      this.parseError('a binary message arrived that belongs to no packet');
      return;
    }
    pending.buffers.push(data);
    if (pending.buffers.length < pending.expected) return;
    this.pendingBinary = undefined;
    const rebuilt = attachBinary(pending.packet, pending.buffers);
    if (!rebuilt.ok) {
      this.parseError(rebuilt.error.message);
      return;
    }
    this.onPacket(rebuilt.value);
  }

  onClose(reason: EngineCloseReason, cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.host.connectDeadlines.remove(this);
    this.pendingBinary = undefined;
    this.decoding?.destroy();
    const socketReason = this.closeReason ?? socketReasonFor(reason);
    for (const socket of this.sockets.slice()) socket.onClose(socketReason, cause);
    this.reportClosed(reason, cause);
  }

  onUpgrade(transport: TransportName): void {
    this.reportUpgraded(transport);
  }

  // ---- DecodingSink (custom parser) -----------------------------------------------------------

  onDecoded(packet: Packet): void {
    if (this.open) this.onPacket(packet);
  }

  onDecodeError(error: DecodeError): void {
    this.parseError(error.message);
  }

  // ---- used by namespaces and sockets ---------------------------------------------------------

  addSocket(socket: AnySocket): void {
    if (this.sockets.length === 0) this.sockets = [socket];
    else this.sockets.push(socket);
    if (this.sockets.length === 1) this.host.connectDeadlines.remove(this);
  }

  removeSocket(socket: AnySocket): void {
    const index = this.sockets.indexOf(socket);
    if (index === -1) return;
    this.sockets.splice(index, 1);
    if (this.closed) return;
    if (this.leftThisTurn === undefined) {
      this.leftThisTurn = [socket];
      process.nextTick(Connection.endTurn, this);
    } else {
      this.leftThisTurn.push(socket);
    }
  }

  /** Closes the whole connection on a server socket's request (`socket.disconnect(true)`). */
  closeFromServer(): void {
    // As socket.io does: every socket leaves its namespace ('server namespace disconnect'), then the
    // connection closes.
    for (const socket of this.sockets.slice()) socket.disconnect();
    this.session.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private static endTurn(connection: Connection): void {
    connection.leftThisTurn = undefined;
  }

  /** The socket of namespace `nsp`: a connected one, or one that left during this turn. */
  private socketOf(nsp: string): AnySocket | undefined {
    for (const socket of this.sockets) if (socket.nsp.name === nsp) return socket;
    const left = this.leftThisTurn;
    if (left) for (const socket of left) if (socket.nsp.name === nsp) return socket;
    return undefined;
  }

  protected onPacket(packet: Packet): void {
    if (packet.type === 'connect') {
      // Only a connected socket makes a CONNECT a second one: unlike socket.io, a CONNECT right
      // after the namespace's DISCONNECT in the same payload connects again.
      if (this.sockets.some((s) => s.nsp.name === packet.nsp)) {
        this.invalidState();
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
    const socket = this.socketOf(packet.nsp);
    if (!socket) {
      // Unlike socket.io, a DISCONNECT for a namespace not joined is let pass: it may have crossed
      // the server's own `socket.disconnect()`, which is no reason to end the other namespaces.
      if (packet.type === 'disconnect') return;
      this.invalidState();
      return;
    }
    if (packet.type === 'connect_error') {
      this.invalidState();
      return;
    }
    socket.onPacket(packet);
  }

  /**
   * Input that cannot be decoded, as socket.io treats it: each socket's 'error' listeners are told
   * why, then the session closes ('forced close' once it has).
   */
  private parseError(message: string): void {
    if (!this.open) return;
    this.pendingBinary = undefined;
    const err = new Error(message);
    for (const socket of this.sockets.slice()) socket.onConnectionError(err);
    this.session.close();
  }

  /**
   * A packet the namespace's state does not allow: the session closes and the sockets leave at
   * once, as on socket.io: 'forced close' when the session could close at once (a WebSocket),
   * 'forced server close' when it waits (a polling client that has yet to fetch the close).
   */
  private invalidState(): void {
    if (!this.open) return;
    this.session.close();
    this.closeReason = 'forced server close';
    for (const socket of this.sockets.slice()) socket.onClose('forced server close');
  }
}
