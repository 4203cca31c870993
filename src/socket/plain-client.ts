import type { EngineCloseReason } from '../engine/index.js';
import type { PlainSession, PlainSessionHandler } from '../native/index.js';
import type { WireFormat } from './adapter.js';
import { ClientBase } from './client.js';
import type { ConnectionHost } from './connection.js';
import {
  attachBinaryFrames,
  decodeBinaryFrame,
  decodeTextFrame,
  encodeError,
  type PendingFrame,
  type PlainError,
  type PlainFrame,
  plainFormat,
} from './plain-codec.js';
import { socketReasonFor } from './reasons.js';
import type { AnySocket, ConnectError } from './types.js';

/** Frames that arrive while the namespace middlewares still run are held, up to this many. */
const MAX_EARLY_FRAMES = 100;

/**
 * A plain WebSocket client as a Socket.IO client of one namespace: it decodes the session's frames
 * with the plain codec (owning the reassembly of an envelope and its binary frames, as `Connection`
 * does for Engine.IO), hands them to that namespace's socket as packets, and writes packets back in
 * `plainFormat`.
 */
export class PlainClient extends ClientBase<PlainSession> implements PlainSessionHandler {
  private socket: AnySocket | undefined;
  private early: PlainFrame[] | undefined = [];
  /** An envelope that announced binary frames, and those that arrived so far. */
  private pending: { frame: PendingFrame; buffers: Buffer[] } | undefined;

  constructor(
    session: PlainSession,
    private readonly nsp: string,
    private readonly maxAttachments: number,
  ) {
    super(session);
  }

  protected get format(): WireFormat {
    return plainFormat;
  }

  get welcomeFirst(): boolean {
    return true;
  }

  /**
   * Joins the namespace named by the `nsp` query parameter (default '/'); the other query parameters
   * are the auth payload, so `?token=...` reaches `socket.handshake.auth.token`.
   */
  static start(session: PlainSession, host: ConnectionHost, maxAttachments: number): PlainClient {
    const target = session.request.target;
    const auth: Record<string, unknown> = target.queryObject();
    Reflect.deleteProperty(auth, 'nsp');
    const nspName = target.param('nsp') ?? '/';
    const client = new PlainClient(
      session,
      nspName.startsWith('/') ? nspName : `/${nspName}`,
      maxAttachments,
    );
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

  // ---- PlainSessionHandler --------------------------------------------------------------------

  onFrame(data: string | Buffer): void {
    if (this.closed) return;
    if (typeof data !== 'string') {
      const pending = this.pending;
      if (!pending) {
        this.deliver(decodeBinaryFrame(data));
        return;
      }
      pending.buffers.push(data);
      if (pending.buffers.length < pending.frame.attachments) return;
      this.pending = undefined;
      const rebuilt = attachBinaryFrames(pending.frame, pending.buffers);
      if (rebuilt.ok) this.deliver(rebuilt.value);
      else this.sendError(rebuilt.error);
      return;
    }
    if (this.pending) {
      this.pending = undefined;
      this.sendError({
        code: 'missing_attachments',
        message: 'a text frame arrived before all binary frames announced by the previous envelope',
      });
    }
    const decoded = decodeTextFrame(data, this.maxAttachments);
    if (!decoded.ok) {
      this.sendError(decoded.error);
      return;
    }
    if (decoded.value.complete) this.deliver(decoded.value.frame);
    else this.pending = { frame: decoded.value, buffers: [] };
  }

  onFrameTooLarge(size: number, limit: number): void {
    // The whole envelope-and-attachments group is dropped, so a half-read packet never leaks through.
    this.pending = undefined;
    this.sendError({
      code: 'frame_too_large',
      message: `frames are limited to ${limit} bytes, this one has ${size}`,
    });
  }

  onClose(reason: EngineCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.early = undefined;
    this.pending = undefined;
    this.socket?.onClose(this.closeReason ?? socketReasonFor(reason));
    this.reportClosed(reason);
  }

  // ---- SocketClient ---------------------------------------------------------------------------

  /** A refused client is told why in its close frame too. 1008: policy violation, "not allowed in". */
  protected override refused(err: ConnectError): void {
    this.session.close(1008, String(err.message).slice(0, 120));
  }

  addSocket(socket: AnySocket): void {
    this.socket = socket;
    // The namespace emits `connection` right after this call: the frames that came while the
    // middlewares ran are delivered once its listeners are attached, before any later frame.
    queueMicrotask(() => this.flushEarly());
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

  // ---- internals ------------------------------------------------------------------------------

  /**
   * A refused frame is answered with an error frame; the connection stays open. It goes a tick
   * later, as events reach their listeners (Socket.dispatch), so answers keep the frames' order.
   */
  private sendError(error: PlainError): void {
    process.nextTick(() => {
      if (!this.closed) this.session.send(encodeError(error));
    });
  }

  private deliver(frame: PlainFrame): void {
    if (this.early) {
      if (this.early.length < MAX_EARLY_FRAMES) this.early.push(frame);
      else
        this.sendError({
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

  private flushEarly(): void {
    const early = this.early;
    this.early = undefined;
    if (early) for (const frame of early) this.deliver(frame);
  }
}
