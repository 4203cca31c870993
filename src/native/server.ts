import { randomId } from '../engine/ids.js';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type OutboundMessage, toOutbound } from '../engine/message.js';
import type { RequestSource } from '../engine/http/exchange.js';
import type { RequestTarget } from '../engine/request.js';
import { completeUpgrade } from '../engine/transports/handshake.js';
import {
  type EngineCloseReason,
  type HandshakeRequest,
  type Outbound,
  type SendOptions,
  type SendResult,
  summarizeRequest,
} from '../engine/types.js';
import {
  attachBinaryFrames,
  decodeBinaryFrame,
  decodeTextFrame,
  encodeError,
  type PendingFrame,
  type PlainError,
  type PlainFrame,
} from '../socket/plain-codec.js';

/** Options of the plain-WebSocket endpoint. */
export interface PlainWebSocketOptions {
  /** Interval of WebSocket ping frames, in ms. @default 25000 */
  pingInterval: number;
  /** How long a pong may take before the peer counts as dead, in ms. @default 20000 */
  pingTimeout: number;
  /** Largest frame accepted; a bigger one is answered with a `frame_too_large` error frame. @default 1000000 */
  maxFrameBytes: number;
  /** Most binary frames one envelope may announce. @default 10 */
  maxAttachments: number;
  /** Bound of the per-connection send buffer, in bytes. @default 10000000 */
  maxBufferedBytes: number;
}

/** Defaults of the plain-WebSocket endpoint. */
export const PLAIN_DEFAULTS: Readonly<PlainWebSocketOptions> = Object.freeze({
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxFrameBytes: 1_000_000,
  maxAttachments: 10,
  maxBufferedBytes: 10_000_000,
});

/** Frames above this many times maxFrameBytes are not read at all: the connection is closed (1009). */
const HARD_LIMIT_FACTOR = 4;

/** One plain WebSocket client, as the layer above sees it. */
export interface PlainSession {
  readonly id: string;
  readonly request: HandshakeRequest;
  readonly remoteAddress: string;
  readonly closed: boolean;
  /** Sends frames that travel together (an envelope and its binary frames), bounded like Engine.IO sessions. */
  send(messages: readonly Outbound[], options?: SendOptions): SendResult;
  /** Answers a refused frame; the connection stays open. */
  sendError(error: PlainError): void;
  /** Closes the connection with a WebSocket close code and reason. */
  close(code?: number, reason?: string): void;
}

/** What receives one plain session's frames. */
export interface PlainSessionHandler {
  onFrame(frame: PlainFrame): void;
  onClose(reason: EngineCloseReason): void;
}

/** Told of each new plain session. */
export type PlainConnectionListener = (session: PlainSession) => PlainSessionHandler;

/**
 * Accepts plain WebSocket upgrades, decodes their frames with the plain protocol and keeps them alive
 * with ping/pong control frames, all sessions swept by one shared timer.
 */
export class PlainWebSocketServer {
  readonly options: Readonly<PlainWebSocketOptions>;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Pending pong checks; several when pingTimeout exceeds pingInterval. */
  private readonly checkTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly onConnection: PlainConnectionListener,
    options: Partial<PlainWebSocketOptions> = {},
  ) {
    this.options = Object.freeze({ ...PLAIN_DEFAULTS, ...options });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxFrameBytes * HARD_LIMIT_FACTOR,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** How many plain sessions are open. */
  get clientsCount(): number {
    return this.sessions.size;
  }

  /** Completes the WebSocket handshake of an upgrade request and starts a session. */
  handleUpgrade(req: RequestSource, socket: Duplex, head: Buffer, target: RequestTarget): void {
    completeUpgrade(this.wss, req, socket, head, [], (ws) => {
      const session = new Session(ws, summarizeRequest(req, target), this.options, this.sessions);
      this.sessions.add(session);
      this.startHeartbeat();
      session.handler = this.onConnection(session);
    });
  }

  /** Closes every session (reason 'server shutting down'). */
  close(): void {
    for (const session of [...this.sessions])
      session.end('server shutting down', 1001, 'server shutting down');
    this.stopHeartbeat();
  }

  // One timer for all sessions: ping everyone, then check who has not answered pingTimeout later.
  // Each check is about its own round, so a later round's ping (pingTimeout > pingInterval) does
  // not count against a client that answered in time.
  private startHeartbeat(): void {
    if (this.heartbeat) return;
    let round = 0;
    this.heartbeat = setInterval(() => {
      if (this.sessions.size === 0) {
        this.stopHeartbeat();
        return;
      }
      const current = ++round;
      for (const session of this.sessions) session.ping(current);
      const check = setTimeout(() => {
        this.checkTimers.delete(check);
        for (const session of [...this.sessions]) session.checkPong(current);
      }, this.options.pingTimeout);
      check.unref();
      this.checkTimers.add(check);
    }, this.options.pingInterval);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const check of this.checkTimers) clearTimeout(check);
    this.checkTimers.clear();
    this.heartbeat = undefined;
  }
}

class Session implements PlainSession {
  readonly id = randomId();
  readonly remoteAddress: string;
  handler: PlainSessionHandler | undefined;
  closed = false;
  /** The heartbeat round of the oldest ping not answered yet, 0 when every ping was answered. */
  private unansweredSince = 0;
  private pending: { frame: PendingFrame; buffers: Buffer[] } | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly request: HandshakeRequest,
    private readonly options: Readonly<PlainWebSocketOptions>,
    /** The server's set of open sessions (not a closure: one made here would keep the request alive). */
    private readonly registry: Set<Session>,
  ) {
    this.remoteAddress = request.socket.remoteAddress;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.unansweredSince = 0;
    });
    ws.on('close', () => this.end('transport close'));
    ws.on('error', () => this.end('transport error'));
  }

  ping(round: number): void {
    if (this.closed) return;
    if (this.unansweredSince === 0) this.unansweredSince = round;
    this.ws.ping();
  }

  /** Ends the session when a ping of `round` or earlier is still unanswered. */
  checkPong(round: number): void {
    if (this.unansweredSince !== 0 && this.unansweredSince <= round)
      this.end('ping timeout', 1001, 'ping timeout');
  }

  send(messages: readonly Outbound[], options: SendOptions = {}): SendResult {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return 'closed';
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      if (options.volatile) return 'dropped';
      this.end('send buffer full', 1013, 'send buffer full');
      return 'closed';
    }
    for (const message of messages) {
      const outbound: OutboundMessage = toOutbound(message);
      this.ws.send(outbound.data, { binary: typeof outbound.data !== 'string', compress: false });
    }
    return 'sent';
  }

  sendError(error: PlainError): void {
    this.send([encodeError(error)]);
  }

  close(code = 1000, reason = ''): void {
    this.end('forced close', code, reason);
  }

  /** Ends the session once: closes the socket if still open and tells the handler why. */
  end(reason: EngineCloseReason, code?: number, text?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    this.registry.delete(this);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      // A close frame would wait behind what a stuck peer does not read: cut those at once.
      if (reason === 'ping timeout' || reason === 'transport error' || reason === 'send buffer full') {
        this.ws.terminate();
      } else this.ws.close(code ?? 1000, closeReason(text ?? ''));
    }
    this.handler?.onClose(reason);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (buffer.length > this.options.maxFrameBytes) {
      // The whole envelope-and-attachments group is dropped, so a half-read packet never leaks through.
      this.pending = undefined;
      this.sendError({
        code: 'frame_too_large',
        message: `frames are limited to ${this.options.maxFrameBytes} bytes, this one has ${buffer.length}`,
      });
      return;
    }
    if (isBinary) {
      const pending = this.pending;
      if (!pending) {
        this.deliver(decodeBinaryFrame(buffer));
        return;
      }
      pending.buffers.push(buffer);
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
    const decoded = decodeTextFrame(buffer.toString('utf8'), this.options.maxAttachments);
    if (!decoded.ok) {
      this.sendError(decoded.error);
      return;
    }
    if (decoded.value.complete) {
      this.deliver(decoded.value.frame);
      return;
    }
    this.pending = { frame: decoded.value, buffers: [] };
  }

  private deliver(frame: PlainFrame): void {
    this.handler?.onFrame(frame);
  }
}

/** A close reason is at most 123 bytes of UTF-8 (ws throws beyond): cut at a character boundary. */
function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > 123) break;
    out += char;
  }
  return out;
}
