/**
 * The two transports as an Engine.IO v3 client needs them: the same request handling, heartbeat
 * and send buffer as v4, only the framing differs (codec.ts). Whether the client takes binary is
 * read once from the `b64` parameter of the request that opened the transport, as engine.io does.
 */
import type { WebSocket } from 'ws';
import type { HttpExchange } from '../http/exchange.js';
import { OutboundMessage } from '../message.js';
import type { DecodeResult, EnginePacket } from '../packet.js';
import type { RequestTarget } from '../request.js';
import { bufferOf } from '../transports/frames.js';
import { PollingTransport } from '../transports/polling.js';
import { type HeaderEvents, IGNORE, type QueuedItem, type TransportListener } from '../transports/transport.js';
import { WebSocketTransport } from '../transports/websocket.js';
import type { EngineProtocol } from '../types.js';
import { decodeFrameV3, decodePollingBodyV3, encodeFrameV3, encodePollingPayloadV3 } from './codec.js';

/** Whether the client takes binary: it did not ask for base64 with a non-empty `b64`. */
function supportsBinary(target: RequestTarget): boolean {
  return !target.param('b64');
}

function packetOf(item: QueuedItem): EnginePacket {
  return item.kind === 'packet' ? item.packet : { type: 'message', data: item.message.data };
}

/** Long-polling with v3 payloads: `<length>:<packet>` text, or XHR2 binary payloads. */
export class PollingTransportV3 extends PollingTransport {
  constructor(
    maxPayload: number,
    private readonly binary: boolean,
    headerEvents?: HeaderEvents,
  ) {
    super(maxPayload, headerEvents);
  }

  override payloadOf(items: readonly QueuedItem[]): string | Buffer {
    return encodePollingPayloadV3(items.map(packetOf), this.binary);
  }

  protected override decodeBody(body: Buffer, exchange: HttpExchange): DecodeResult<EnginePacket[]> {
    const type = exchange.request.headers['content-type'];
    return decodePollingBodyV3(body, type?.startsWith('application/octet-stream') === true);
  }
}

/**
 * A v3 message as a frame is built from it: binary with its type byte first (a binary frame), or
 * `b4<base64>` for a client without binary (a text frame as it is). Kept per message, so that a
 * broadcast builds it once for all the v3 clients it reaches.
 */
class V3Message extends OutboundMessage {
  override get websocketFrame(): string | Buffer {
    return this.data;
  }
}

const withTypeByte = new WeakMap<OutboundMessage, OutboundMessage>();
const asBase64 = new WeakMap<OutboundMessage, OutboundMessage>();

function v3Message(message: OutboundMessage, binary: boolean): OutboundMessage {
  const cache = binary ? withTypeByte : asBase64;
  let out = cache.get(message);
  if (out === undefined) {
    out = new V3Message(encodeFrameV3({ type: 'message', data: message.data }, binary));
    cache.set(message, out);
  }
  return out;
}

/** A WebSocket speaking v3 frames. Text frames are as in v4: only binary messages are rewritten. */
export class WebSocketTransportV3 extends WebSocketTransport {
  private v3Listener: TransportListener = IGNORE;

  constructor(
    ws: WebSocket,
    private readonly binary: boolean,
  ) {
    super(ws);
  }

  override setListener(listener: TransportListener): void {
    this.v3Listener = listener;
    super.setListener(listener);
  }

  override receive(data: Parameters<WebSocketTransport['receive']>[0], isBinary: boolean): void {
    const frame = bufferOf(data);
    const decoded = decodeFrameV3(isBinary ? frame : frame.toString('utf8'));
    if (decoded.ok) this.v3Listener.onPacket(decoded.value);
    else this.v3Listener.onError('parse error', new Error(decoded.error));
  }

  override write(items: readonly QueuedItem[]): void {
    if (!items.some((item) => item.kind === 'message' && item.message.binary)) {
      super.write(items);
      return;
    }
    super.write(
      items.map((item) =>
        item.kind === 'message' && item.message.binary
          ? { kind: 'message', message: v3Message(item.message, this.binary), compress: item.compress }
          : item,
      ),
    );
  }

  override close(): void {
    this.v3Listener = IGNORE;
    super.close();
  }

  override destroy(): void {
    this.v3Listener = IGNORE;
    super.destroy();
  }
}

/** The polling transport of a handshake speaking `protocol`, framed as its request asks. */
export function pollingTransportFor(
  protocol: EngineProtocol,
  target: RequestTarget,
  maxPayload: number,
  headerEvents?: HeaderEvents,
): PollingTransport {
  return protocol === 3
    ? new PollingTransportV3(maxPayload, supportsBinary(target), headerEvents)
    : new PollingTransport(maxPayload, headerEvents);
}

/** How to wrap an accepted WebSocket for a request speaking `protocol`. */
export function websocketTransportFor(
  protocol: EngineProtocol,
  target: RequestTarget,
): ((ws: WebSocket) => WebSocketTransport) | undefined {
  if (protocol !== 3) return undefined;
  const binary = supportsBinary(target);
  return (ws) => new WebSocketTransportV3(ws, binary);
}
