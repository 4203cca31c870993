import http, { type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closingAnswer, deadlineIn } from './answer.js';
import type { BodySink, HttpExchange, RequestSource } from './exchange.js';
import { type HeadScan, readCompleteHead, resetHeadScan, scanHead, startHeadScan } from './head.js';
import { type ConnectionListener, giveToNode, nodeConnectionListener } from './node-internals.js';
import { EMPTY, OwnedExchange, OwnedRequest } from './owned-exchange.js';

/**
 * The engine's own HTTP/1.1 path, opt-in (`ownHttp`). Long-polling costs two HTTP requests per
 * message, and node:http's JavaScript layer (IncomingMessage, ServerResponse, their streams and
 * events) is most of what a polling message costs. On a plain http.Server the engine takes each
 * new connection itself and answers the requests under its path that fit a strict subset
 * ({@link scanHead}, {@link readCompleteHead}): each byte of a head examined once, one write per
 * answer; a WebSocket upgrade under the path goes straight to the engine. As soon as the bytes
 * cannot become such a request (a page, another method, a chunked body, garbage, a bare LF), the
 * connection goes with its unread bytes to node:http, which then serves it as if it had had it from
 * the start. The engine tracks these connections and closes them in its own close().
 */

/** What the owner of the path provides. */
export interface OwnedHttpHandler {
  /** Whether a request target lies under the engine's path. */
  owns(url: string): boolean;
  /** Handles one request under the path. */
  handle(exchange: HttpExchange): void;
  /** Handles an upgrade under the path, as node:http's 'upgrade' event would have. */
  upgrade(req: RequestSource, socket: Socket, head: Buffer): void;
}

const SWEEP_MS = 1000;
const kConnection = Symbol('parley.ownedConnection');
type TaggedSocket = Socket & { [kConnection]?: OwnedConnection };

/** The connections of one http.Server that the engine answers itself. */
export class OwnedHttp {
  private readonly connections = new Set<OwnedConnection>();
  private sweepTimer: NodeJS.Timeout | undefined;
  // What a server's 'connection' event gives is a net.Socket (or a Duplex a user emitted, which has
  // all that is used here).
  private readonly accept = (socket: Duplex): void => this.take(socket as Socket);
  /** The engine is closing: no new connections, every answer closes its connection. */
  closing = false;
  /** Called when the last connection goes while closing. */
  private onDrained: (() => void) | undefined;

  private constructor(
    readonly server: HttpServer,
    private readonly nodeListener: ConnectionListener,
    readonly handler: OwnedHttpHandler,
  ) {}

  /**
   * Takes over new connections of `server`, or returns undefined when node:http keeps them: a
   * server that is not a plain http.Server whose connections node:http's own listener takes (TLS
   * servers, for instance), one that joins duplicate headers, or node internals that are not
   * there ({@link nodeConnectionListener}).
   */
  static takeOver(server: HttpServer, handler: OwnedHttpHandler): OwnedHttp | undefined {
    // The parser combines repeated headers as node does by default only.
    if ((server as { joinDuplicateHeaders?: boolean }).joinDuplicateHeaders === true) return undefined;
    const nodeListener = nodeConnectionListener();
    if (nodeListener === false || !server.listeners('connection').includes(nodeListener)) return undefined;
    const owned = new OwnedHttp(server, nodeListener, handler);
    owned.swap(nodeListener, owned.accept);
    return owned;
  }

  /** Puts `to` in the place of `from` among the server's 'connection' listeners; others stay as they are. */
  private swap(from: ConnectionListener, to: ConnectionListener): void {
    const listeners = this.server.rawListeners('connection') as ConnectionListener[];
    this.server.removeAllListeners('connection');
    for (const listener of listeners) this.server.on('connection', listener === from ? to : listener);
  }

  /** The largest request head node:http accepts on this server. */
  get maxHeaderSize(): number {
    return (this.server as { maxHeaderSize?: number }).maxHeaderSize ?? http.maxHeaderSize;
  }

  private take(socket: Socket): void {
    const connection = new OwnedConnection(this, socket);
    (socket as TaggedSocket)[kConnection] = connection;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    this.connections.add(connection);
    this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** Gives the socket to node:http, with `unread` as if it had just arrived. */
  handOff(connection: OwnedConnection, unread: Buffer | undefined): void {
    giveToNode(this.nodeListener, this.server, this.release(connection), unread);
  }

  /** Hands an upgrade request's socket to the engine, as node:http does on 'upgrade'. */
  upgrade(connection: OwnedConnection, req: RequestSource, head: Buffer): void {
    const socket = this.release(connection);
    // Neither paused nor flowing, as node leaves an upgraded socket: bytes wait in the stream
    // until the new owner reads them.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.handler.upgrade(req, socket, head);
  }

  /** Takes the connection's listeners off its socket. */
  private release(connection: OwnedConnection): Socket {
    const socket = connection.socket as TaggedSocket;
    this.forget(connection);
    socket[kConnection] = undefined;
    socket.removeListener('data', onSocketData);
    socket.removeListener('end', onSocketEnd);
    socket.removeListener('close', onSocketClose);
    socket.removeListener('error', onSocketError);
    return socket;
  }

  forget(connection: OwnedConnection): void {
    this.connections.delete(connection);
    if (this.closing && this.connections.size === 0) this.onDrained?.();
  }

  /** Closes the connections with nothing pending (node's server.close() does the same with its own). */
  closeIdle(): void {
    for (const connection of this.connections) if (connection.idle) connection.socket.destroy();
  }

  /**
   * The engine closes: new connections go to node:http again, idle ones close now, the others
   * after their answer (which says `Connection: close`); those still open after `timeoutMs` are
   * destroyed.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.swap(this.accept, this.nodeListener);
    this.closeIdle();
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const connection of this.connections) connection.socket.destroy();
          resolve();
        }, timeoutMs);
        this.onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /**
   * Closes connections past their deadline: idle keep-alive, or a head or body that stalls. Once
   * the server stops listening (server.close(), which waits for every connection to end), idle
   * ones close too, as node's own do.
   */
  private sweep(): void {
    if (this.connections.size === 0) {
      // Stopped here rather than when the last connection goes: connections come and go often.
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
      return;
    }
    const now = Date.now();
    const stopped = !this.server.listening;
    // No copy: a destroyed socket's 'close' (which forgets it) comes on a later tick.
    for (const connection of this.connections) {
      if ((stopped && connection.idle) || (connection.deadline !== 0 && now >= connection.deadline)) {
        connection.expire();
      }
    }
  }
}

function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kConnection]?.onData(chunk);
}

function onSocketEnd(this: TaggedSocket): void {
  this[kConnection]?.onEnd();
}

function onSocketClose(this: TaggedSocket): void {
  this[kConnection]?.onClose();
}

function onSocketDrain(this: TaggedSocket): void {
  this[kConnection]?.onDrain();
}

// 'close' follows every error; the connection is cleaned up there.
function onSocketError(): void {}

interface BodyReader {
  readonly sink: BodySink;
  readonly chunks: Buffer[];
  remaining: number;
}

/** One connection the engine answers itself: one request at a time, in order. */
export class OwnedConnection {
  /** Bytes received and not yet examined: the next head, a pipelined request, or a body. */
  private unread: Buffer | undefined;
  /** The bytes of a head begun and not ended, examined already by {@link scan}. */
  private headChunks: Buffer[] = [];
  /** How far the head in {@link headChunks} has been read: each byte is examined once. */
  private readonly scan: HeadScan = startHeadScan();
  /** The request handed to the engine and not answered yet. */
  private current: OwnedExchange | undefined;
  private body: BodyReader | undefined;
  /** Bytes of a body nobody reads, still to be dropped. */
  private skip = 0;
  private processing = false;
  private closed = false;
  /** When the sweep closes this connection (0: never); see {@link OwnedHttp.sweep}. */
  deadline: number;

  constructor(
    private readonly owner: OwnedHttp,
    readonly socket: Socket,
  ) {
    this.deadline = deadlineIn(owner.server.headersTimeout);
  }

  /**
   * Between requests, nothing pending: closing it loses nothing. A connection ending after its last
   * answer is not idle: it closes itself once the answer has left.
   */
  get idle(): boolean {
    return !this.closed && this.current === undefined && this.unread === undefined && this.headChunks.length === 0;
  }

  /** The Keep-Alive header's timeout, in whole seconds (0: no header). */
  get keepAliveSeconds(): number {
    return Math.floor(this.owner.server.keepAliveTimeout / 1000);
  }

  onData(chunk: Buffer): void {
    if (this.closed) return;
    let data: Buffer | undefined = chunk;
    if (this.skip > 0) {
      data = this.dropSkipped(chunk);
      if (data === undefined) return;
    }
    if (this.body !== undefined) {
      const rest = this.feedBody(data);
      if (rest !== undefined) this.keepUnread(rest);
      if (this.body.remaining === 0) this.finishBody();
    } else {
      // The first bytes of a new head end the keep-alive wait: the head now has headersTimeout.
      if (this.idle) this.deadline = deadlineIn(this.owner.server.headersTimeout);
      this.keepUnread(data);
    }
    if (this.current === undefined) {
      this.process();
    } else if (this.unread !== undefined) {
      // A pipelined request (or a body nobody asked for yet) waits: stop reading until then.
      this.socket.pause();
    }
  }

  /** The client finished sending: as node:http does by default, an unanswered request is abandoned. */
  onEnd(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.end();
    }
    this.abandon();
  }

  onClose(): void {
    this.closed = true;
    this.owner.forget(this);
    this.abandon();
  }

  private abandon(): void {
    const current = this.current;
    this.current = undefined;
    const body = this.body;
    this.body = undefined;
    body?.sink.onAborted();
    current?.gone();
  }

  /** The answers written so far have left: go on with the requests read meanwhile. */
  onDrain(): void {
    if (this.closed || this.current !== undefined) return;
    this.socket.resume();
    this.process();
  }

  /** Called by the sweep when {@link deadline} passed. */
  expire(): void {
    if (this.closed || this.idle) {
      // Idle, or a 408 that could not be delivered within a second or two.
      this.socket.destroy();
      return;
    }
    // A head or a body that does not arrive in time, answered as node:http does.
    this.closed = true;
    this.deadline = deadlineIn(1);
    const socket = this.socket;
    socket.end(closingAnswer(408), () => socket.destroy());
  }

  /** Parses and dispatches the requests in {@link unread}, one at a time. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && this.current === undefined && this.unread !== undefined) {
        if (this.socket.writableNeedDrain) {
          // A client that sends requests without reading the answers: stop reading until it does.
          this.socket.pause();
          this.socket.once('drain', onSocketDrain);
          this.deadline = deadlineIn(this.owner.server.requestTimeout);
          return;
        }
        // Only the bytes not examined yet are scanned: a head arriving in many small chunks
        // costs time linear in its length, and bytes that cannot become a head the engine takes
        // go to node:http at once.
        const data = this.unread;
        const before = this.scan.examined;
        const status = scanHead(this.scan, data, this.owner.maxHeaderSize);
        if (status === 'more') {
          this.headChunks.push(data);
          this.unread = undefined;
          if (this.deadline === 0) this.deadline = deadlineIn(this.owner.server.headersTimeout);
          return;
        }
        const chunks = this.headChunks;
        const all = chunks.length === 0 ? data : Buffer.concat([...chunks, data]);
        const length = this.scan.examined;
        this.headChunks = [];
        resetHeadScan(this.scan);
        const head = status === 'complete' ? readCompleteHead(all, length, this.owner.handler.owns) : undefined;
        if (head === undefined || head.kind !== 'head') {
          this.closed = true;
          this.unread = undefined;
          this.owner.handOff(this, all);
          return;
        }
        const used = length - before;
        this.unread = used === data.length ? undefined : data.subarray(used);
        if (head.upgrade) {
          this.closed = true;
          const rest = this.unread ?? EMPTY;
          this.unread = undefined;
          this.owner.upgrade(this, new OwnedRequest(head.method, head.url, head.headers, this.socket), rest);
          return;
        }
        // A body has the request timeout; a held GET has none (the session's heartbeat answers it).
        this.deadline = head.contentLength > 0 ? deadlineIn(this.owner.server.requestTimeout) : 0;
        const exchange = new OwnedExchange(this, head);
        this.current = exchange;
        this.owner.handler.handle(exchange);
      }
    } finally {
      this.processing = false;
    }
  }

  /** Starts reading the body of the current request. */
  readBody(exchange: OwnedExchange, limit: number, sink: BodySink): void {
    if (exchange !== this.current || exchange.bodyState !== 'unread' || this.closed) return;
    const length = exchange.head.contentLength;
    if (length > limit) {
      exchange.bodyState = 'done';
      this.skipBody(length);
      sink.onTooLarge();
      return;
    }
    exchange.bodyState = 'reading';
    const body: BodyReader = { sink, chunks: [], remaining: length };
    this.body = body;
    const unread = this.unread;
    this.unread = undefined;
    if (unread !== undefined) this.unread = this.feedBody(unread);
    if (body.remaining === 0) this.finishBody();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  /** Drops the body of the current request (read or not). */
  discardBody(exchange: OwnedExchange): void {
    if (exchange !== this.current) return;
    const state = exchange.bodyState;
    exchange.bodyState = 'done';
    if (state === 'unread') {
      this.skipBody(exchange.head.contentLength);
    } else if (state === 'reading' && this.body !== undefined) {
      this.skipBody(this.body.remaining);
      this.body = undefined;
    }
  }

  /** Writes the answer of the current request and moves on to the next one. */
  reply(exchange: OwnedExchange, response: Buffer, closeConnection: boolean): void {
    if (exchange !== this.current || this.closed) return;
    this.discardBody(exchange);
    this.current = undefined;
    const socket = this.socket;
    if (closeConnection) {
      this.closed = true;
      // A client that never reads the last answer does not keep the socket past the request timeout.
      this.deadline = deadlineIn(this.owner.server.requestTimeout);
      socket.end(response, () => socket.destroy());
      return;
    }
    socket.write(response);
    if (socket.isPaused()) socket.resume();
    if (this.unread === undefined) {
      this.deadline = deadlineIn(this.owner.server.keepAliveTimeout);
      return;
    }
    // A pipelined request: parse it after this call stack, which may be inside another session's send.
    this.deadline = 0;
    if (!this.processing) setImmediate(() => this.process());
  }

  /** Whether the answer should close the connection: the client asked, or the engine or the server is closing. */
  closesAfter(exchange: OwnedExchange): boolean {
    return exchange.head.close || this.owner.closing || !this.owner.server.listening;
  }

  private keepUnread(data: Buffer): void {
    this.unread = this.unread === undefined ? data : Buffer.concat([this.unread, data]);
  }

  private skipBody(length: number): void {
    let n = length;
    const unread = this.unread;
    if (unread !== undefined && n > 0) {
      const take = Math.min(n, unread.length);
      this.unread = take === unread.length ? undefined : unread.subarray(take);
      n -= take;
    }
    this.skip += n;
  }

  private dropSkipped(data: Buffer): Buffer | undefined {
    const take = Math.min(this.skip, data.length);
    this.skip -= take;
    return take === data.length ? undefined : data.subarray(take);
  }

  /** Takes what belongs to the body from `data`; returns the bytes after it. */
  private feedBody(data: Buffer): Buffer | undefined {
    const body = this.body!;
    const take = Math.min(body.remaining, data.length);
    if (take > 0) body.chunks.push(take === data.length ? data : data.subarray(0, take));
    body.remaining -= take;
    return take === data.length ? undefined : data.subarray(take);
  }

  private finishBody(): void {
    const body = this.body;
    if (body === undefined) return;
    this.body = undefined;
    if (this.current !== undefined) this.current.bodyState = 'done';
    body.sink.onBody(body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks));
  }
}
