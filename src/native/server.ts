import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  bufferOf,
  completeUpgrade,
  type EngineCloseReason,
  type Flushable,
  type HandshakeRequest,
  Heartbeat,
  HeartbeatState,
  type HeartbeatSubject,
  inWriteTurn,
  markWrite,
  type Outbound,
  type OutboundMessage,
  outboundSize,
  overflows,
  type RequestSource,
  type RequestTarget,
  randomId,
  type SendBufferState,
  type SendOptions,
  type SendResult,
  type SessionState,
  scheduleFlush,
  summarizeRequest,
  toOutbound,
  writeRawMessages,
  wsFastPaths,
} from '../engine/index.js';

/**
 * Plain WebSocket clients as a framed transport: the WebSocket's lifecycle, a frame size limit, the
 * engine's heartbeat (WebSocket ping and pong control frames, all sessions on the engine's one
 * heartbeat timer), its bounded send buffer and its WebSocket transport's volatile rule. What the frames mean is the layer above's business:
 * text frames reach it as strings, binary frames as Buffers.
 */

/** Options of the plain-WebSocket transport. */
export interface PlainTransportOptions {
  /** Interval of WebSocket ping frames, in ms. @default 25000 */
  pingInterval: number;
  /** How long a pong may take before the peer counts as dead, in ms. @default 20000 */
  pingTimeout: number;
  /** Largest frame handed on; a bigger one is reported to the handler and dropped. @default 1000000 */
  maxFrameBytes: number;
  /** Bound of the per-connection send buffer, in bytes (the engine's rule). @default 10000000 */
  maxBufferedBytes: number;
}

/** Defaults of the plain-WebSocket transport. */
export const PLAIN_TRANSPORT_DEFAULTS: Readonly<PlainTransportOptions> = Object.freeze({
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxFrameBytes: 1_000_000,
  maxBufferedBytes: 10_000_000,
});

/** Frames above this many times maxFrameBytes are not read at all: the connection is closed (1009). */
const HARD_LIMIT_FACTOR = 4;

/** One plain WebSocket client, as the layer above sees it. */
export interface PlainSession {
  readonly id: string;
  /** Always 'websocket': the name Engine.IO sessions give the same transport. */
  readonly transport: 'websocket';
  readonly request: HandshakeRequest;
  readonly remoteAddress: string;
  readonly state: SessionState;
  /**
   * Sends frames that travel together (an envelope and its binary frames), one frame per message,
   * under the engine's send-buffer rule; `coalesce` lets them wait for the end of the turn.
   * `volatile` ones are dropped (all of them) unless they can be written at once, as the engine's
   * WebSocket transport drops them: not behind a write of this turn, queued frames or buffered bytes.
   */
  send(messages: Outbound | readonly Outbound[], options?: SendOptions): SendResult;
  /** Closes the connection with a WebSocket close code and reason, after what is queued. */
  close(code?: number, reason?: string): void;
}

/** What receives one plain session's frames. */
export interface PlainSessionHandler {
  /** A frame arrived: text as a string, binary as a Buffer. */
  onFrame(data: string | Buffer): void;
  /** A frame over maxFrameBytes arrived and was dropped (the connection stays open). */
  onFrameTooLarge(size: number, limit: number): void;
  /** The session ended; called once. */
  onClose(reason: EngineCloseReason): void;
}

/** Told of each new plain session. */
export type PlainConnectionListener = (session: PlainSession) => PlainSessionHandler;

/**
 * Accepts plain WebSocket upgrades and runs their sessions: every session's heartbeat on one timer
 * (the engine's Heartbeat), every write bounded by the engine's send-buffer rule.
 */
export class PlainWebSocketServer {
  readonly options: Readonly<PlainTransportOptions>;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private readonly heartbeat: Heartbeat;

  constructor(
    private readonly onConnection: PlainConnectionListener,
    options: Partial<PlainTransportOptions> = {},
  ) {
    this.options = Object.freeze({ ...PLAIN_TRANSPORT_DEFAULTS, ...options });
    this.heartbeat = new Heartbeat(this.options.pingInterval, this.options.pingTimeout);
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
  handleUpgrade(
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
    headerLines: readonly string[] = [],
    added?: readonly string[],
  ): void {
    completeUpgrade(this.wss, req, socket, head, headerLines, (ws) => {
      const session = new Session(ws, summarizeRequest(req, target, added), this.options, this, this.heartbeat);
      this.sessions.add(session);
      this.heartbeat.add(session);
      session.start(this.onConnection(session));
    });
  }

  /** Forgets a session that ended. */
  remove(session: Session): void {
    this.sessions.delete(session);
    this.heartbeat.remove(session);
  }

  /** Closes every session (reason 'server shutting down'). */
  close(): void {
    for (const session of [...this.sessions])
      session.end('server shutting down', 1001, 'server shutting down');
    this.heartbeat.clear();
  }
}

const kSession = Symbol('parley.plainSession');
type TaggedWebSocket = WebSocket & { [kSession]?: Session };

// Shared listeners find their session on the WebSocket: no closures per connection.
function onWsMessage(this: TaggedWebSocket, data: RawData, isBinary: boolean): void {
  this[kSession]?.receive(data, isBinary);
}

function onWsPong(this: TaggedWebSocket): void {
  this[kSession]?.ponged();
}

function onWsClose(this: TaggedWebSocket): void {
  this[kSession]?.end('transport close');
}

function onWsError(this: TaggedWebSocket): void {
  this[kSession]?.end('transport error');
}

class Session implements PlainSession, HeartbeatSubject, SendBufferState, Flushable {
  readonly id = randomId();
  readonly remoteAddress: string;
  private handler: PlainSessionHandler | undefined;
  private stateValue: SessionState = 'open';
  /** What waits for the end of the turn; undefined when nothing does. */
  private queue: OutboundMessage[] | undefined;
  /** Owned by the flush pass (see Flushable). */
  flushScheduled = false;
  private readonly fast = wsFastPaths();
  /** The turn of the last write (the engine's write-turn rule). */
  private writeTurn = -1;
  // Kept by the engine's Heartbeat and send-buffer rule.
  heartbeatDue = -1;
  heartbeatState: HeartbeatState = HeartbeatState.Out;
  bufferedBytes = 0;
  transportBacklog = -1;

  constructor(
    private readonly ws: WebSocket,
    readonly request: HandshakeRequest,
    private readonly options: Readonly<PlainTransportOptions>,
    /** The server (not a closure: one made here would keep the request alive). */
    private readonly server: PlainWebSocketServer,
    private readonly heartbeat: Heartbeat,
  ) {
    this.remoteAddress = request.socket.remoteAddress;
    (ws as TaggedWebSocket)[kSession] = this;
    ws.on('message', onWsMessage);
    ws.on('pong', onWsPong);
    ws.on('close', onWsClose);
    ws.on('error', onWsError);
  }

  get transport(): 'websocket' {
    return 'websocket';
  }

  get state(): SessionState {
    return this.stateValue;
  }

  start(handler: PlainSessionHandler): void {
    this.handler = handler;
  }

  send(messages: Outbound | readonly Outbound[], options?: SendOptions): SendResult {
    if (this.stateValue !== 'open' || this.ws.readyState !== WebSocket.OPEN) return 'closed';
    const list: readonly Outbound[] = Array.isArray(messages) ? messages : [messages as Outbound];
    const size = outboundSize(list);
    const limit = this.options.maxBufferedBytes;
    const over = overflows(this, size, limit, this.ws);
    if (options?.volatile === true) {
      // As the engine's WebSocket transport: dropped unless it can be written this very moment.
      if (over || !this.writable) return 'dropped';
    } else if (over) {
      this.end('send buffer full', 1013, 'send buffer full');
      return 'closed';
    }
    this.queue ??= [];
    for (const message of list) this.queue.push(toOutbound(message));
    this.bufferedBytes += size;
    if (options?.coalesce === true) scheduleFlush(this);
    else this.flush();
    return 'sent';
  }

  close(code = 1000, reason = ''): void {
    this.end('forced close', code, reason);
  }

  /**
   * Whether a frame sent now would be written at once with nothing else on its way: nothing waits
   * for the flush pass, no write of this turn (ws would not have called back yet), no bytes still
   * buffered. What engine.io calls a writable transport.
   */
  private get writable(): boolean {
    return this.queue === undefined && !inWriteTurn(this.writeTurn) && this.ws.bufferedAmount === 0;
  }

  runScheduledFlush(): void {
    this.flush();
  }

  private flush(): void {
    const queue = this.queue;
    if (queue === undefined || this.ws.readyState !== WebSocket.OPEN) return;
    this.queue = undefined;
    this.bufferedBytes = 0;
    writeRawMessages(this.ws, queue, this.fast);
    this.writeTurn = markWrite();
    this.transportBacklog = this.ws.bufferedAmount;
  }

  // ---- HeartbeatSubject ------------------------------------------------------------------------

  sendPing(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.ping();
    // A write like the engine's ping packet: a volatile frame right behind it is dropped the same way.
    this.writeTurn = markWrite();
  }

  pingTimedOut(): void {
    this.end('ping timeout', 1001, 'ping timeout');
  }

  // ---- the WebSocket's events ------------------------------------------------------------------

  receive(data: RawData, isBinary: boolean): void {
    if (this.stateValue !== 'open') return;
    this.heartbeat.activity(this);
    const buffer = bufferOf(data);
    if (buffer.length > this.options.maxFrameBytes) {
      this.handler?.onFrameTooLarge(buffer.length, this.options.maxFrameBytes);
      return;
    }
    this.handler?.onFrame(isBinary ? buffer : buffer.toString('utf8'));
  }

  ponged(): void {
    this.heartbeat.pong(this);
  }

  /** Ends the session once: flushes and closes the socket if it is still open, tells the handler why. */
  end(reason: EngineCloseReason, code?: number, text?: string): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.server.remove(this);
    const ws = this.ws;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      // A close frame would wait behind what a stuck or silent peer does not read: cut those.
      if (reason === 'ping timeout' || reason === 'transport error' || reason === 'send buffer full') {
        ws.terminate();
      } else {
        this.flush();
        ws.close(code ?? 1000, closeReason(text ?? ''));
      }
    }
    this.queue = undefined;
    this.bufferedBytes = 0;
    this.handler?.onClose(reason);
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
