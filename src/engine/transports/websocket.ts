import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { PerMessageDeflateOptions } from '../options.js';
import type { RequestSource } from '../http/exchange.js';
import { completeUpgrade } from './handshake.js';
import { decodePacketWs, type EnginePacket, encodePacketWs } from '../packet.js';
import { IGNORE, type QueuedItem, type Transport, type TransportListener } from './transport.js';
import { bufferOf, engineFrame, frame, JoinedFrames, writeItems } from './frames.js';
import { wsFastPaths } from './ws-internals.js';
import { inWriteTurn, markWrite } from '../write-turn.js';

function itemFrame(item: QueuedItem): Buffer {
  return item.kind === 'packet' ? packetFrame(item.packet) : engineFrame(item.message);
}

/** The items of one flush, joined (see JoinedFrames). */
const joined = new JoinedFrames<QueuedItem>(itemFrame);

const packetFrames = new Map<string, Buffer>();

/** Control packets (ping, noop, close...) are few and fixed: their frames are cached by text. */
function packetFrame(packet: EnginePacket): Buffer {
  const text = encodePacketWs(packet) as string;
  let bytes = packetFrames.get(text);
  if (bytes === undefined) {
    bytes = frame(text);
    if (text.length < 16) packetFrames.set(text, bytes);
  }
  return bytes;
}

/** Sends one item through ws's public API (ws frames, queues and compresses it). */
function sendItemThroughWs(ws: WebSocket, item: QueuedItem): void {
  if (item.kind === 'packet') {
    ws.send(encodePacketWs(item.packet));
  } else {
    const data = item.message.websocketFrame;
    ws.send(data, { binary: typeof data !== 'string', compress: item.compress });
  }
}

/** How long a WebSocket closed by the engine may take to answer the close frame before it is cut. */
export const CLOSE_GRACE_MS = 2000;

function terminate(ws: WebSocket): void {
  ws.terminate();
}

const kTransport = Symbol('parley.transport');
const kAcceptor = Symbol('parley.acceptor');

function transportOf(ws: WebSocket): WebSocketTransport | undefined {
  return (ws as WebSocket & { [kTransport]?: WebSocketTransport })[kTransport];
}

function onWsMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  transportOf(this)?.receive(data, isBinary);
}

function onWsError(this: WebSocket, err: Error): void {
  transportOf(this)?.failed(err);
}

/** The one 'close' listener of an accepted WebSocket: the acceptor forgets it, its transport closes. */
function onWsClose(this: WebSocket): void {
  (this as WebSocket & { [kAcceptor]?: WebSocketAcceptor })[kAcceptor]?.open.delete(this);
  transportOf(this)?.closed();
}

/** One WebSocket carrying a session (or probing to become its transport). */
export class WebSocketTransport implements Transport {
  get name(): 'websocket' {
    return 'websocket';
  }
  private listener: TransportListener = IGNORE;
  /** Whether ws's internals are there for the fast write path (checked once per process). */
  private readonly fast = wsFastPaths();
  /** The turn of the last write (see write-turn.ts). */
  private writeTurn = -1;

  constructor(private readonly ws: WebSocket) {
    // Shared listeners find their transport on the socket: no closures per connection.
    (ws as WebSocket & { [kTransport]?: WebSocketTransport })[kTransport] = this;
    ws.on('message', onWsMessage);
    ws.on('error', onWsError);
    // 'close' is listened to by the acceptor (onWsClose), for the acceptor and the transport.
  }

  /** A frame arrived. */
  receive(data: RawData, isBinary: boolean): void {
    const decoded = decodePacketWs(isBinary ? bufferOf(data) : bufferOf(data).toString('utf8'));
    if (decoded.ok) this.listener.onPacket(decoded.value);
    else this.listener.onError('parse error', new Error(decoded.error));
  }

  /** The socket failed. */
  failed(err: Error): void {
    this.listener.onError('transport error', err);
  }

  /** The socket closed. */
  closed(): void {
    this.listener.onClose();
  }

  get writable(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get busy(): boolean {
    return inWriteTurn(this.writeTurn) || this.ws.bufferedAmount > 0;
  }

  setListener(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Sends one control packet as a text frame. */
  sendPacket(packet: EnginePacket): void {
    this.write([{ kind: 'packet', packet }]);
  }

  write(items: readonly QueuedItem[]): void {
    if (!this.writable) return;
    writeItems(this.ws, items, this.fast, joined, sendItemThroughWs);
    this.writeTurn = markWrite();
  }

  /**
   * Sends a close frame. A peer that does not answer it within CLOSE_GRACE_MS (gone, or stalled)
   * is cut then, instead of after ws's 30 s.
   */
  close(): void {
    this.listener = IGNORE;
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CONNECTING) return;
    ws.close();
    const grace = setTimeout(terminate, CLOSE_GRACE_MS, ws);
    grace.unref();
    ws.once('close', () => clearTimeout(grace));
  }

  destroy(): void {
    this.listener = IGNORE;
    this.ws.terminate();
  }
}

/** Completes WebSocket handshakes for the engine (`ws` in noServer mode). */
export class WebSocketAcceptor {
  private readonly wss: WebSocketServer;
  /** Open WebSockets, for drain(). */
  readonly open = new Set<WebSocket>();

  constructor(options: { maxPayload: number; perMessageDeflate: boolean | PerMessageDeflateOptions }) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: options.perMessageDeflate,
      // ws's own tracking adds a closure per socket that keeps the handshake request alive;
      // the acceptor tracks its sockets itself.
      clientTracking: false,
    });
  }

  /**
   * Completes the upgrade (adding `headers` lines to the 101 answer) and hands over the transport,
   * made by `create` when the client needs another framing (Engine.IO v3).
   */
  accept(
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    headers: readonly string[],
    done: (transport: WebSocketTransport) => void,
    create?: (ws: WebSocket) => WebSocketTransport,
  ): void {
    completeUpgrade(this.wss, req, socket, head, headers, (ws) => {
      this.open.add(ws);
      (ws as WebSocket & { [kAcceptor]?: WebSocketAcceptor })[kAcceptor] = this;
      ws.on('close', onWsClose);
      done(create === undefined ? new WebSocketTransport(ws) : create(ws));
    });
  }

  /** Waits for every WebSocket to close, terminating those still open after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const open = [...this.open];
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) {
              resolve();
              return;
            }
            const timer = setTimeout(() => ws.terminate(), timeoutMs);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    this.wss.close();
  }
}
