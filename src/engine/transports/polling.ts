import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { writeHttpError } from '../errors.js';
import { decodePayload, encodePacketPolling, RECORD_SEPARATOR } from '../packet.js';
import { IGNORE, NO_HEADERS, type QueuedItem, type Transport, type TransportListener } from './transport.js';

interface PendingGet {
  readonly res: ServerResponse;
  readonly headers: OutgoingHttpHeaders;
}

function encodeItem(item: QueuedItem): string {
  return item.kind === 'message' ? item.message.pollingPacket : encodePacketPolling(item.packet);
}

/**
 * HTTP long-polling: a GET is held until there is something to send; a POST carries a payload
 * from the client. At most one of each may be in flight.
 */
export class PollingTransport implements Transport {
  get name(): 'polling' {
    return 'polling';
  }
  private listener: TransportListener = IGNORE;
  private pending: PendingGet | undefined;
  private postInFlight = false;
  private closed = false;

  constructor(readonly maxPayload: number) {}

  get writable(): boolean {
    return this.pending !== undefined;
  }

  get bufferedAmount(): number {
    return 0;
  }

  setListener(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Routes a request of this session by method. */
  handleRequest(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    headers: OutgoingHttpHeaders,
  ): void {
    if (this.closed) {
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
    } else if (method === 'GET') {
      this.onGet(res, headers);
    } else if (method === 'POST') {
      this.onPost(req, res, headers);
    } else {
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
    }
  }

  /** Answers `res` at once with a payload, outside of the pending-GET cycle (the handshake). */
  static respond(res: ServerResponse, payload: string, headers: OutgoingHttpHeaders): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/plain; charset=UTF-8',
      'Content-Length': Buffer.byteLength(payload),
      'Cache-Control': 'no-store',
    });
    res.end(payload);
  }

  write(items: readonly QueuedItem[]): void {
    const pending = this.pending;
    if (pending === undefined || items.length === 0) return;
    this.pending = undefined;
    const payload = items.length === 1 ? encodeItem(items[0]!) : items.map(encodeItem).join(RECORD_SEPARATOR);
    PollingTransport.respond(pending.res, payload, pending.headers);
  }

  close(): void {
    this.closed = true;
    this.write([{ kind: 'packet', packet: { type: 'noop' } }]);
    this.listener = IGNORE;
  }

  destroy(): void {
    this.close();
  }

  private onGet(res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (this.pending !== undefined) {
      // Two concurrent GETs break ordering: refuse this one and let the session close.
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
      this.listener.onError('transport error', new Error('overlapping GET requests'));
      return;
    }
    this.pending = { res, headers };
    // The client went away: forget the GET; the heartbeat decides whether the session lives.
    (res as Tagged<ServerResponse>)[kTransport] = this;
    // 'close' comes once per response: `on` spares the wrapper `once` would allocate per GET.
    res.on('close', onGetClosed);
    this.listener.onWritable();
  }

  /** A held GET's response closed (answered, or the client went away). */
  forgetGet(res: ServerResponse): void {
    if (this.pending?.res === res) this.pending = undefined;
  }

  private onPost(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (this.postInFlight) {
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
      req.resume();
      this.listener.onError('transport error', new Error('overlapping POST requests'));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxPayload) {
      this.refuseTooLarge(req, res, headers);
      return;
    }
    this.postInFlight = true;
    // The body's state rides on the request, read by module-level listeners: no closures per POST.
    (req as Tagged<IncomingMessage>)[kBody] = { transport: this, res, headers, chunks: [], size: 0 };
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    req.on('close', onBodyClosed);
  }

  /** Answers 413 to a body over maxPayload. */
  refuseTooLarge(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (!res.headersSent) {
      res.writeHead(413, { ...headers, Connection: 'close', 'Content-Length': 0 });
      res.end();
    }
    req.resume();
    // Like engine.io, the session stays: the refused client closes it (its close packet).
  }

  /** A whole POST body arrived: answer `ok`, then hand its packets over. */
  receiveBody(body: string, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    const decoded = decodePayload(body);
    if (!decoded.ok) {
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
      this.listener.onError('parse error', new Error(decoded.error));
      return;
    }
    for (const packet of decoded.value) {
      if (this.closed) break;
      this.listener.onPacket(packet);
    }
    res.writeHead(200, headers === NO_HEADERS ? OK_HEADERS : { ...headers, ...OK_HEADERS });
    res.end('ok');
  }

  /** The POST is over, read or not. */
  endPost(): void {
    this.postInFlight = false;
  }
}

/** The headers of a POST's `ok`, one frozen object when there are no CORS headers to add. */
const OK_HEADERS: OutgoingHttpHeaders = Object.freeze({ 'Content-Type': 'text/html', 'Content-Length': 2 });

const kTransport = Symbol('parley.pollingTransport');
const kBody = Symbol('parley.postBody');

interface PostBody {
  readonly transport: PollingTransport;
  readonly res: ServerResponse;
  readonly headers: OutgoingHttpHeaders;
  readonly chunks: Buffer[];
  size: number;
}

type Tagged<T> = T & { [kTransport]?: PollingTransport; [kBody]?: PostBody };

function onGetClosed(this: Tagged<ServerResponse>): void {
  this[kTransport]?.forgetGet(this);
}

function stopReading(req: Tagged<IncomingMessage>): PostBody | undefined {
  const body = req[kBody];
  if (body === undefined) return undefined;
  req[kBody] = undefined;
  // The listeners stay: each request is a new IncomingMessage, and with the body state gone they
  // do nothing; removing three listeners per POST cost more than they ever will.
  body.transport.endPost();
  return body;
}

function onBodyData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const body = this[kBody];
  if (body === undefined) return;
  body.size += chunk.length;
  if (body.size > body.transport.maxPayload) {
    stopReading(this);
    body.transport.refuseTooLarge(this, body.res, body.headers);
  } else {
    body.chunks.push(chunk);
  }
}

function onBodyEnd(this: Tagged<IncomingMessage>): void {
  const body = stopReading(this);
  if (body === undefined) return;
  const bytes = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks);
  body.transport.receiveBody(bytes.toString('utf8'), body.res, body.headers);
}

function onBodyClosed(this: Tagged<IncomingMessage>): void {
  stopReading(this);
}
