import type { EngineCloseReason } from '../engine/types.js';
import type { PlainSession, PlainSessionHandler } from '../native/server.js';
import type { BroadcastFlags, EncodedPacket } from './adapter.js';
import { type AnySocket, buildHandshake, ConnectionInfo, type SocketClient } from './client.js';
import type { ConnectionHost } from './connection.js';
import type { ConnectError } from './namespace.js';
import { type PlainFrame, plainFormat } from './plain-codec.js';
import { type DisconnectReason, socketReasonFor } from './reasons.js';
import type { Handshake } from './socket.js';

/** Frames that arrive while the namespace middlewares still run are held, up to this many. */
const MAX_EARLY_FRAMES = 100;

/**
 * A plain WebSocket client as a Socket.IO client of one namespace: its frames become packets of
 * that namespace's socket, and packets sent to it are encoded with `plainFormat`.
 */
export class PlainClient implements PlainSessionHandler, SocketClient {
  closed = false;
  private socket: AnySocket | undefined;
  private early: PlainFrame[] | undefined = [];
  private closeReason: DisconnectReason | undefined;
  private infoCache: ConnectionInfo | undefined;

  constructor(
    private readonly session: PlainSession,
    private readonly nsp: string,
  ) {}

  /**
   * Joins the namespace named by the `nsp` query parameter (default '/'); the other query parameters
   * are the auth payload, so `?token=...` reaches `socket.handshake.auth.token`.
   */
  static start(session: PlainSession, host: ConnectionHost): PlainClient {
    const target = session.request.target;
    const auth: Record<string, unknown> = target.queryObject();
    delete auth.nsp;
    const nspName = target.param('nsp') ?? '/';
    const client = new PlainClient(session, nspName.startsWith('/') ? nspName : `/${nspName}`);
    host.resolveNamespace(client.nsp, auth, (nsp) => {
      if (client.closed) return;
      if (!nsp) {
        client.refuse(client.nsp, new Error('Invalid namespace'));
        return;
      }
      nsp.addClient(client, auth);
    });
    return client;
  }

  get request() {
    return this.session.request;
  }

  get info(): ConnectionInfo {
    const session = this.session;
    this.infoCache ??= new ConnectionInfo(
      session.id,
      () => 'websocket',
      session.remoteAddress,
      session.request,
      () => session.close(1000, 'forced close'),
    );
    return this.infoCache;
  }

  buildHandshake(auth: Record<string, unknown>, issued: number): Handshake {
    return buildHandshake(this.session.request, this.session.remoteAddress, auth, issued);
  }

  // ---- PlainSessionHandler --------------------------------------------------------------------

  onFrame(frame: PlainFrame): void {
    if (this.early) {
      if (this.early.length < MAX_EARLY_FRAMES) this.early.push(frame);
      else
        this.session.sendError({
          code: 'invalid_envelope',
          message: 'too many frames before the connection was accepted',
        });
      return;
    }
    if (!this.socket) return;
    this.socket.onPacket(
      frame.kind === 'ack'
        ? { type: 'ack', nsp: this.nsp, data: frame.args, id: frame.id }
        : frame.id === undefined
          ? { type: 'event', nsp: this.nsp, data: [frame.name, ...frame.args] }
          : { type: 'event', nsp: this.nsp, data: [frame.name, ...frame.args], id: frame.id },
    );
  }

  onClose(reason: EngineCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.early = undefined;
    this.socket?.onClose(this.closeReason ?? socketReasonFor(reason));
    this.infoCache?.closed(reason);
  }

  // ---- SocketClient ---------------------------------------------------------------------------

  write(encoded: EncodedPacket, flags: BroadcastFlags): void {
    if (this.closed) return;
    const messages = encoded.in(plainFormat);
    if (messages.length > 0) this.session.send(messages, flags);
  }

  refuse(_nsp: string, err: ConnectError): void {
    const data = err.data === undefined ? { message: err.message } : { message: err.message, data: err.data };
    this.session.send([JSON.stringify({ event: 'connect_error', data })]);
    // 1008: policy violation, the closest standard code to "not allowed in".
    this.session.close(1008, err.message.slice(0, 120));
  }

  addSocket(socket: AnySocket): void {
    this.socket = socket;
    // The namespace emits `connection` right after this call: the frames that came while the
    // middlewares ran are delivered once its listeners are attached, before any later frame.
    queueMicrotask(() => this.flushEarly());
  }

  private flushEarly(): void {
    const early = this.early;
    this.early = undefined;
    if (early) for (const frame of early) this.onFrame(frame);
  }

  removeSocket(socket: AnySocket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    // A plain client lives in one namespace: leaving it ends the connection.
    if (!this.closed) {
      this.closeReason ??= 'server namespace disconnect';
      this.session.close(1000, 'server namespace disconnect');
    }
  }

  closeFromServer(): void {
    this.socket?.disconnect();
  }
}
