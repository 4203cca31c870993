import type { OutgoingHttpHeaders } from 'node:http';
import { type BodySink, type GoneWatcher, type HttpExchange, refuse } from '../http/exchange.js';
import { type DecodeResult, decodePayload, type EnginePacket, encodePacketPolling, RECORD_SEPARATOR } from '../packet.js';
import {
  type HeaderEvents,
  IGNORE,
  NO_HEADERS,
  type QueuedItem,
  type Transport,
  type TransportListener,
} from './transport.js';

interface PendingGet {
  readonly exchange: HttpExchange;
  readonly headers: OutgoingHttpHeaders;
}

function encodeItem(item: QueuedItem): string {
  return item.kind === 'message' ? item.message.pollingPacket : encodePacketPolling(item.packet);
}

const BAD_REQUEST = Object.freeze({ code: 'BAD_REQUEST' as const });

/** The headers of a payload answer, one frozen object when there are no CORS headers to add. */
const PAYLOAD_HEADERS: OutgoingHttpHeaders = Object.freeze({
  'Content-Type': 'text/plain; charset=UTF-8',
  'Cache-Control': 'no-store',
});

/** The headers of a binary payload answer (Engine.IO v3's XHR2 payloads). */
const BINARY_PAYLOAD_HEADERS: OutgoingHttpHeaders = Object.freeze({
  'Content-Type': 'application/octet-stream',
  'Cache-Control': 'no-store',
});

/** The headers of a POST's `ok`, likewise. */
const OK_HEADERS: OutgoingHttpHeaders = Object.freeze({ 'Content-Type': 'text/html' });

/**
 * HTTP long-polling: a GET is held until there is something to send; a POST carries a payload
 * from the client. At most one of each may be in flight.
 */
export class PollingTransport implements Transport, GoneWatcher {
  get name(): 'polling' {
    return 'polling';
  }
  private listener: TransportListener = IGNORE;
  private pending: PendingGet | undefined;
  private postInFlight = false;
  private closed = false;

  constructor(
    readonly maxPayload: number,
    private readonly headerEvents?: HeaderEvents,
  ) {}

  get writable(): boolean {
    return this.pending !== undefined;
  }

  get bufferedAmount(): number {
    return 0;
  }

  get busy(): boolean {
    return false;
  }

  setListener(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Routes a request of this session by method. */
  handleRequest(exchange: HttpExchange, method: string, headers: OutgoingHttpHeaders): void {
    if (this.closed) {
      refuse(exchange, BAD_REQUEST, headers);
    } else if (method === 'GET') {
      this.onGet(exchange, headers);
    } else if (method === 'POST') {
      this.onPost(exchange, headers);
    } else {
      refuse(exchange, BAD_REQUEST, headers);
    }
  }

  /**
   * Answers a payload. `headers` are the CORS headers; `handshake` the handshake answer's own
   * headers (a cookie), given for the handshake only. With `headers` listeners on the server, they
   * see the answer's own headers first, as engine.io shows them.
   */
  static respond(
    exchange: HttpExchange,
    payload: string | Buffer,
    headers: OutgoingHttpHeaders,
    events?: HeaderEvents,
    handshake?: OutgoingHttpHeaders,
  ): void {
    const own = typeof payload === 'string' ? PAYLOAD_HEADERS : BINARY_PAYLOAD_HEADERS;
    exchange.reply(200, answerHeaders(own, exchange, headers, events, handshake), payload);
  }

  /** The payload carrying `items` (the Engine.IO v3 transport frames it its own way). */
  payloadOf(items: readonly QueuedItem[]): string | Buffer {
    return items.length === 1 ? encodeItem(items[0]!) : items.map(encodeItem).join(RECORD_SEPARATOR);
  }

  /** The packets of a POST body (the Engine.IO v3 transport reads its own framing). */
  protected decodeBody(body: Buffer, _exchange: HttpExchange): DecodeResult<EnginePacket[]> {
    return decodePayload(body.toString('utf8'));
  }

  write(items: readonly QueuedItem[]): void {
    const pending = this.pending;
    if (pending === undefined || items.length === 0) return;
    this.pending = undefined;
    PollingTransport.respond(pending.exchange, this.payloadOf(items), pending.headers, this.headerEvents);
  }

  close(): void {
    this.closed = true;
    this.write([{ kind: 'packet', packet: { type: 'noop' } }]);
    this.listener = IGNORE;
  }

  destroy(): void {
    this.close();
  }

  /** A held GET's connection went away: forget it; the heartbeat decides whether the session lives. */
  onGone(exchange: HttpExchange): void {
    if (this.pending?.exchange === exchange) this.pending = undefined;
  }

  private onGet(exchange: HttpExchange, headers: OutgoingHttpHeaders): void {
    if (this.pending !== undefined) {
      // Two concurrent GETs break ordering: refuse this one and let the session close.
      refuse(exchange, BAD_REQUEST, headers);
      this.listener.onError('transport error', new Error('overlapping GET requests'));
      return;
    }
    this.pending = { exchange, headers };
    exchange.watchGone(this);
    this.listener.onWritable();
  }

  private onPost(exchange: HttpExchange, headers: OutgoingHttpHeaders): void {
    if (this.postInFlight) {
      refuse(exchange, BAD_REQUEST, headers);
      this.listener.onError('transport error', new Error('overlapping POST requests'));
      return;
    }
    const declared = Number(exchange.request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxPayload) {
      refuseTooLarge(exchange, headers);
      return;
    }
    this.postInFlight = true;
    exchange.readBody(this.maxPayload, new PostReader(this, exchange, headers));
  }

  /** A whole POST body arrived: its packets are handed over, then `ok` answers it. */
  receiveBody(body: Buffer, exchange: HttpExchange, headers: OutgoingHttpHeaders): void {
    this.postInFlight = false;
    const decoded = this.decodeBody(body, exchange);
    if (!decoded.ok) {
      refuse(exchange, BAD_REQUEST, headers);
      this.listener.onError('parse error', new Error(decoded.error));
      return;
    }
    for (const packet of decoded.value) {
      if (this.closed) break;
      this.listener.onPacket(packet);
    }
    exchange.reply(200, answerHeaders(OK_HEADERS, exchange, headers, this.headerEvents), 'ok');
  }

  /** The POST ended without a body to hand over. */
  endPost(): void {
    this.postInFlight = false;
  }
}

/**
 * The headers of a 200 answer: `own` (shared, frozen) after the CORS headers, with `handshake`'s
 * too; shown to the server's `headers` listeners first when there are any.
 */
function answerHeaders(
  own: OutgoingHttpHeaders,
  exchange: HttpExchange,
  cors: OutgoingHttpHeaders,
  events: HeaderEvents | undefined,
  handshake?: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  if (events?.watched === true) {
    const shown: OutgoingHttpHeaders = { ...own, ...handshake };
    events.emitHeaders(shown, exchange, handshake !== undefined);
    return cors === NO_HEADERS ? shown : { ...cors, ...shown };
  }
  if (handshake !== undefined) return { ...cors, ...handshake, ...own };
  return cors === NO_HEADERS ? own : { ...cors, ...own };
}

/**
 * Answers 413 to a body over maxPayload and closes the connection (the rest of the body is not
 * read). Like engine.io, the session stays: the refused client closes it (its close packet).
 */
function refuseTooLarge(exchange: HttpExchange, headers: OutgoingHttpHeaders): void {
  exchange.discardBody();
  exchange.reply(413, headers, '', true);
}

/** One POST body being read: one object per POST, no closures. */
class PostReader implements BodySink {
  constructor(
    private readonly transport: PollingTransport,
    private readonly exchange: HttpExchange,
    private readonly headers: OutgoingHttpHeaders,
  ) {}

  onBody(body: Buffer): void {
    this.transport.receiveBody(body, this.exchange, this.headers);
  }

  onTooLarge(): void {
    this.transport.endPost();
    refuseTooLarge(this.exchange, this.headers);
  }

  onAborted(): void {
    this.transport.endPost();
  }
}
