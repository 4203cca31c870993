import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { PerMessageDeflateOptions } from '../options.js';
import { decodePacketWs, type EnginePacket, encodePacketWs } from '../packet.js';
import { IGNORE, type QueuedItem, type Transport, type TransportListener } from './transport.js';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** One WebSocket carrying a session (or probing to become its transport). */
export class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const;
  private listener: TransportListener = IGNORE;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const decoded = decodePacketWs(isBinary ? toBuffer(data) : toBuffer(data).toString('utf8'));
      if (decoded.ok) this.listener.onPacket(decoded.value);
      else this.listener.onError('parse error', new Error(decoded.error));
    });
    ws.on('error', (err) => this.listener.onError('transport error', err));
    ws.on('close', () => this.listener.onClose());
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
    if (this.writable) this.ws.send(encodePacketWs(packet));
  }

  write(items: readonly QueuedItem[]): void {
    if (!this.writable) return;
    for (const item of items) {
      if (item.kind === 'packet') {
        this.ws.send(encodePacketWs(item.packet));
      } else {
        const frame = item.message.websocketFrame;
        this.ws.send(frame, { binary: typeof frame !== 'string', compress: item.compress });
      }
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
  private readonly extraHeaders = new WeakMap<IncomingMessage, readonly string[]>();

  constructor(options: { maxPayload: number; perMessageDeflate: boolean | PerMessageDeflateOptions }) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: options.perMessageDeflate,
      clientTracking: true,
    });
    this.wss.on('headers', (headers, req) => {
      const extra = this.extraHeaders.get(req);
      if (extra !== undefined) headers.push(...extra);
    });
  }

  /** Completes the upgrade (adding `headers` lines to the 101 answer) and hands over the transport. */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    headers: readonly string[],
    done: (transport: WebSocketTransport) => void,
  ): void {
    if (headers.length > 0) this.extraHeaders.set(req, headers);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.extraHeaders.delete(req);
      done(new WebSocketTransport(ws));
    });
  }

  /** Waits for every WebSocket to close, terminating those still open after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const open = [...this.wss.clients];
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
