import { type IncomingHttpHeaders, IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { ENGINE_ERRORS, type EngineError, errorBody } from '../errors.js';

/** The parts of a request the engine reads; an IncomingMessage is one. */
export interface RequestSource {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** The request as node:http's IncomingMessage, when it is one (hooks typed on it need it). */
export function incomingOf(req: RequestSource): IncomingMessage | undefined {
  return req instanceof IncomingMessage ? req : undefined;
}

/** Where a request body goes. Exactly one of the calls is made. */
export interface BodySink {
  /** The whole body arrived. */
  onBody(body: Buffer): void;
  /** The body is larger than the limit; nothing more is read. */
  onTooLarge(): void;
  /** The connection went away before the body was complete. */
  onAborted(): void;
}

/** Told when the connection of an unanswered exchange goes away. */
export interface GoneWatcher {
  onGone(exchange: HttpExchange): void;
}

/**
 * One HTTP request and its answer, as the engine handles them: through node:http
 * ({@link NodeExchange}) or through the engine's own HTTP/1.1 path (src/engine/http/owned.ts).
 */
export interface HttpExchange {
  readonly request: RequestSource;
  /** The node:http request, when the exchange came through node:http (hooks typed on it need it). */
  readonly incoming: IncomingMessage | undefined;
  /** Whether the answer may still be sent. */
  readonly answerable: boolean;
  /**
   * Sends the whole answer, Content-Length added. `closeConnection` asks for the connection to be
   * closed after it (a refused body that will not be read). A string body is sent in UTF-8.
   */
  reply(status: number, headers: OutgoingHttpHeaders, body: string | Buffer, closeConnection?: boolean): void;
  /** Reads the body, at most `limit` bytes. */
  readBody(limit: number, sink: BodySink): void;
  /** The body will not be read: skip it. */
  discardBody(): void;
  /** Calls `watcher.onGone(this)` if the connection closes before the answer is sent. */
  watchGone(watcher: GoneWatcher): void;
}

/** Answers with the refusal's status and JSON body, skipping any request body. */
export function refuse(exchange: HttpExchange, error: EngineError, headers: OutgoingHttpHeaders): void {
  exchange.discardBody();
  if (!exchange.answerable) return;
  exchange.reply(ENGINE_ERRORS[error.code].status, { ...headers, 'Content-Type': 'application/json' }, errorBody(error));
}

const kExchange = Symbol('parley.exchange');

interface BodyState {
  readonly sink: BodySink;
  readonly limit: number;
  readonly chunks: Buffer[];
  size: number;
}

type TaggedRequest = IncomingMessage & { [kExchange]?: NodeExchange };
type TaggedResponse = ServerResponse & { [kExchange]?: NodeExchange };

/** An exchange over node:http's request and response objects. */
export class NodeExchange implements HttpExchange {
  private body: BodyState | undefined;
  private watcher: GoneWatcher | undefined;

  constructor(
    readonly incoming: IncomingMessage,
    /** node's response (the engine's middlewares get it). */
    readonly res: ServerResponse,
  ) {}

  get request(): RequestSource {
    return this.incoming;
  }

  get answerable(): boolean {
    return !this.res.headersSent && !this.res.writableEnded && !this.res.destroyed;
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: string | Buffer, closeConnection = false): void {
    if (!this.answerable) return;
    const all: OutgoingHttpHeaders = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    if (closeConnection) all.Connection = 'close';
    this.res.writeHead(status, all);
    this.res.end(body);
  }

  readBody(limit: number, sink: BodySink): void {
    const req = this.incoming as TaggedRequest;
    this.body = { sink, limit, chunks: [], size: 0 };
    // The body's state rides on the exchange, read by module-level listeners: no closures per POST.
    req[kExchange] = this;
    req.on('data', onRequestData);
    req.on('end', onRequestEnd);
    req.on('close', onRequestClose);
  }

  discardBody(): void {
    this.incoming.resume();
  }

  watchGone(watcher: GoneWatcher): void {
    this.watcher = watcher;
    (this.res as TaggedResponse)[kExchange] = this;
    // 'close' comes once per response: `on` spares the wrapper `once` would allocate.
    this.res.on('close', onResponseClose);
  }

  /** Takes the body state away: later events do nothing. */
  takeBody(): BodyState | undefined {
    const body = this.body;
    this.body = undefined;
    return body;
  }

  /** A chunk of the body arrived. */
  bodyData(chunk: Buffer): void {
    const body = this.body;
    if (body === undefined) return;
    body.size += chunk.length;
    if (body.size > body.limit) {
      this.body = undefined;
      this.incoming.resume();
      body.sink.onTooLarge();
    } else {
      body.chunks.push(chunk);
    }
  }

  /** The response closed: answered, or the client went away first. */
  responseClosed(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher !== undefined && !this.res.writableFinished) watcher.onGone(this);
  }
}

// The listeners stay on the request and response: each is a new object per request, and with the
// state gone they do nothing; removing them one by one per request cost more than they ever will.
function onRequestData(this: TaggedRequest, chunk: Buffer): void {
  this[kExchange]?.bodyData(chunk);
}

function onRequestEnd(this: TaggedRequest): void {
  const body = this[kExchange]?.takeBody();
  if (body === undefined) return;
  body.sink.onBody(body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks));
}

function onRequestClose(this: TaggedRequest): void {
  this[kExchange]?.takeBody()?.sink.onAborted();
}

function onResponseClose(this: TaggedResponse): void {
  this[kExchange]?.responseClosed();
}
