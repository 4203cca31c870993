import type { Duplex } from 'node:stream';
import type { OutboundMessage } from '../message.js';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { PerMessageDeflateOptions } from '../options.js';
import type { RequestSource } from '../http/exchange.js';
import { completeUpgrade } from './handshake.js';
import { decodePacketWs, type EnginePacket, encodePacketWs } from '../packet.js';
import { IGNORE, type QueuedItem, type Transport, type TransportListener } from './transport.js';
import { type WsInternals, wsFastPaths } from './ws-internals.js';

/** Up to this many bytes, the frames of one flush are joined into one buffer before writing. */
const CONCAT_LIMIT = 64 * 1024;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/** Writes the header of an unmasked server frame (RFC 6455 §5.2), FIN set; returns its length. */
function writeHeader(out: Buffer, length: number, opcode: number): number {
  out[0] = 0x80 | opcode;
  if (length < 126) {
    out[1] = length;
    return 2;
  }
  if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
    return 4;
  }
  out[1] = 127;
  out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  out.writeUInt32BE(length >>> 0, 6);
  return 10;
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** A complete frame in one Buffer: text is encoded straight into it, binary copied once. */
function frame(payload: string | Buffer, opcode: number): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  const offset = writeHeader(out, length, opcode);
  if (typeof payload === 'string') out.write(payload, offset, 'utf8');
  else payload.copy(out, offset);
  return out;
}

/** The frame of a message, built once and shared by every socket it goes to. */
function messageFrame(message: OutboundMessage): Buffer {
  let bytes = message.websocketBytes;
  if (bytes === undefined) {
    const data = message.websocketFrame;
    bytes = frame(data, typeof data === 'string' ? OPCODE_TEXT : OPCODE_BINARY);
    message.websocketBytes = bytes;
  }
  return bytes;
}

function itemFrame(item: QueuedItem): Buffer {
  return item.kind === 'packet' ? packetFrame(item.packet) : messageFrame(item.message);
}

/** The last items joined into one buffer, and that buffer (frames never change once built). */
let lastJoined: { items: readonly QueuedItem[]; bytes: Buffer } = { items: [], bytes: Buffer.alloc(0) };

/** Whether two flushes hold the very same queue entries (shared entries: see Session.send). */
function sameItems(a: readonly QueuedItem[], b: readonly QueuedItem[]): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const packetFrames = new Map<string, Buffer>();

/** Control packets (ping, noop, close...) are few and fixed: their frames are cached by text. */
function packetFrame(packet: EnginePacket): Buffer {
  const text = encodePacketWs(packet) as string;
  let bytes = packetFrames.get(text);
  if (bytes === undefined) {
    bytes = frame(text, OPCODE_TEXT);
    if (text.length < 16) packetFrames.set(text, bytes);
  }
  return bytes;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
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

  constructor(private readonly ws: WebSocket) {
    // Shared listeners find their transport on the socket: no closures per connection.
    (ws as WebSocket & { [kTransport]?: WebSocketTransport })[kTransport] = this;
    ws.on('message', onWsMessage);
    ws.on('error', onWsError);
    // 'close' is listened to by the acceptor (onWsClose), for the acceptor and the transport.
  }

  /** A frame arrived. */
  receive(data: RawData, isBinary: boolean): void {
    const decoded = decodePacketWs(isBinary ? toBuffer(data) : toBuffer(data).toString('utf8'));
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

  setListener(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Sends one control packet as a text frame. */
  sendPacket(packet: EnginePacket): void {
    this.write([{ kind: 'packet', packet }]);
  }

  write(items: readonly QueuedItem[]): void {
    if (!this.writable) return;
    if (!this.fast) {
      for (const item of items) this.sendThroughWs(item);
      return;
    }
    const internals = this.ws as unknown as WsInternals;
    const socket = internals._socket;
    // Fast path: frames built once per message, written straight to the socket, all the items of
    // one flush in one write. Only while ws itself has nothing queued (no compression under way),
    // so frames never overtake each other.
    const direct =
      internals._sender._state === 0 &&
      internals._sender._queue.length === 0 &&
      internals._extensions['permessage-deflate'] === undefined;
    if (direct) {
      // One write per flush: a lone frame as is, several joined into one buffer (cheaper than a
      // writev of many small chunks).
      if (items.length === 1) {
        socket.write(itemFrame(items[0]!));
        return;
      }
      // The sessions a flush pass reaches usually hold the same broadcasts in the same order (the
      // same queue entries): they share one joined buffer instead of joining their own copy.
      if (sameItems(items, lastJoined.items)) {
        socket.write(lastJoined.bytes);
        return;
      }
      const frames: Buffer[] = [];
      let total = 0;
      for (const item of items) {
        const bytes = itemFrame(item);
        frames.push(bytes);
        total += bytes.length;
      }
      if (total <= CONCAT_LIMIT) {
        const bytes = Buffer.concat(frames, total);
        lastJoined = { items, bytes };
        socket.write(bytes);
      } else {
        // Big frames are not copied again: one corked writev instead.
        socket.cork();
        for (const bytes of frames) socket.write(bytes);
        socket.uncork();
      }
      return;
    }
    socket.cork();
    for (const item of items) this.sendThroughWs(item);
    socket.uncork();
  }

  /** Sends one item through ws's public API (ws frames, queues and compresses it). */
  private sendThroughWs(item: QueuedItem): void {
    if (item.kind === 'packet') {
      this.ws.send(encodePacketWs(item.packet));
    } else {
      const data = item.message.websocketFrame;
      this.ws.send(data, { binary: typeof data !== 'string', compress: item.compress });
    }
  }

  close(): void {
    this.listener = IGNORE;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
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

  /** Completes the upgrade (adding `headers` lines to the 101 answer) and hands over the transport. */
  accept(
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    headers: readonly string[],
    done: (transport: WebSocketTransport) => void,
  ): void {
    completeUpgrade(this.wss, req, socket, head, headers, (ws) => {
      this.open.add(ws);
      (ws as WebSocket & { [kAcceptor]?: WebSocketAcceptor })[kAcceptor] = this;
      ws.on('close', onWsClose);
      done(new WebSocketTransport(ws));
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
