import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { writeHttpError } from '../errors.js';
import { decodePayload, encodePacketPolling, RECORD_SEPARATOR } from '../packet.js';
import { IGNORE, type QueuedItem, type Transport, type TransportListener } from './transport.js';

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
  readonly name = 'polling' as const;
  private listener: TransportListener = IGNORE;
  private pending: PendingGet | undefined;
  private postInFlight = false;
  private closed = false;

  constructor(private readonly maxPayload: number) {}

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
    PollingTransport.respond(pending.res, items.map(encodeItem).join(RECORD_SEPARATOR), pending.headers);
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
    const entry: PendingGet = { res, headers };
    this.pending = entry;
    // The client went away: forget the GET; the heartbeat decides whether the session lives.
    res.once('close', () => {
      if (this.pending === entry) this.pending = undefined;
    });
    this.listener.onWritable();
  }

  private onPost(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    if (this.postInFlight) {
      writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
      req.resume();
      this.listener.onError('transport error', new Error('overlapping POST requests'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      this.postInFlight = false;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', cleanup);
    };
    const tooLarge = (): void => {
      cleanup();
      if (!res.headersSent) {
        res.writeHead(413, { ...headers, Connection: 'close', 'Content-Length': 0 });
        res.end();
      }
      req.resume();
      // Like engine.io, the session stays: the refused client closes it (its close packet).
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > this.maxPayload) tooLarge();
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const decoded = decodePayload(Buffer.concat(chunks).toString('utf8'));
      if (!decoded.ok) {
        writeHttpError(res, { code: 'BAD_REQUEST' }, headers);
        this.listener.onError('parse error', new Error(decoded.error));
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html', 'Content-Length': 2 });
      res.end('ok');
      for (const packet of decoded.value) {
        if (this.closed) break;
        this.listener.onPacket(packet);
      }
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxPayload) {
      tooLarge();
      return;
    }
    this.postInFlight = true;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', cleanup);
  }
}
