import { EventEmitter } from 'node:events';
import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  STATUS_CODES,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { type EngineError, ignoreSocketError } from './errors.js';
import { upgradeLines } from './events.js';
import type { NodeExchange } from './http/exchange.js';
import type { RequestTarget } from './request.js';

/**
 * An Express-style middleware the engine runs on each HTTP request it handles (`io.engine.use`):
 * long-polling requests get node's request and response, WebSocket upgrades get node's request and
 * an {@link UpgradeResponse}. It calls `next()` to let the request go on, `next(err)` to refuse it
 * (400, `connection_error` with context `{ name: 'MIDDLEWARE_FAILURE' }`), or answers the request
 * itself and calls neither. A promise it returns that rejects is a `next(err)`.
 */
// Declared as a method, so that handlers typed on subtypes of node's request and response
// (express's `RequestHandler`, which express-session's default export is) are accepted, as
// engine.io's `use(fn: any)` accepts them.
export type EngineMiddleware = {
  middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
}['middleware'];

/** engine.io's refusal of a request whose middleware failed. */
export const MIDDLEWARE_FAILURE: EngineError = Object.freeze({
  code: 'BAD_REQUEST',
  context: Object.freeze({ name: 'MIDDLEWARE_FAILURE' }),
});

/** The request as engine.io hands it to middlewares: its query parameters read into `_query`. */
type EngineIncoming = IncomingMessage & { _query?: Record<string, string> };

/**
 * What the middlewares did: failed (`next(err)`, a throw), or let the request go on, with the names
 * of the properties they added to the request (`req.session`, `req.user`...), which the session's
 * summary of the request forwards to it (see summarizeRequest). A middleware that answers the
 * request itself never calls `done`.
 */
export type MiddlewareDone = (failed: boolean, added: readonly string[]) => void;

const NONE: readonly string[] = Object.freeze([]);

/**
 * Runs `middlewares` in order on one request, each after the previous one called `next()`. As
 * engine.io, `req._query` holds the query parameters first (documented socket.io recipes read
 * `req._query.sid` to tell a handshake), and a second call of a `next` is ignored.
 */
export function runMiddlewares(
  middlewares: readonly EngineMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  target: RequestTarget,
  done: MiddlewareDone,
): void {
  const incoming = req as EngineIncoming;
  incoming._query ??= Object.fromEntries(target.query);
  // The request's own keys before: those the middlewares add are what the session keeps of them.
  const before = new Set(Object.keys(req));
  const finish = (err: unknown): void => {
    if (err) {
      done(true, NONE);
      return;
    }
    const added = Object.keys(req).filter((key) => !before.has(key));
    done(false, added.length === 0 ? NONE : added);
  };
  const run = (index: number): void => {
    const middleware = middlewares[index];
    if (middleware === undefined) {
      finish(undefined);
      return;
    }
    let settled = false;
    const next = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err) finish(err);
      else run(index + 1);
    };
    try {
      const result: unknown = middleware(req, res, next);
      if (isThenable(result)) result.then(undefined, next);
    } catch (err) {
      next(err ?? new Error('middleware threw'));
    }
  };
  run(0);
}

/**
 * Runs the middlewares of a long-polling request. The CORS headers are set on the response first,
 * so that an answer of a middleware's own carries them (engine.io's CORS is a middleware run before
 * the application's). `fail(answer)` when they failed: `answer` is false when a middleware began
 * its own answer first (engine.io ends it rather than replacing it, as done here). `pass` when they
 * let it go on and it may still be answered.
 */
export function runOnPolling(
  middlewares: readonly EngineMiddleware[],
  exchange: NodeExchange,
  cors: OutgoingHttpHeaders,
  target: RequestTarget,
  fail: (answer: boolean) => void,
  pass: (added: readonly string[]) => void,
): void {
  const res = exchange.res;
  for (const name in cors) {
    const value = cors[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  runMiddlewares(middlewares, exchange.incoming, res, target, (failed, added) => {
    if (failed) {
      const begun = res.headersSent;
      if (begun && !res.writableEnded) res.end();
      fail(!begun);
    } else if (exchange.answerable) {
      // (Not answerable: a middleware answered, then let the request go on; or the client left.)
      pass(added);
    }
  });
}

/**
 * Runs the middlewares of a WebSocket upgrade, with an {@link UpgradeResponse}. `pass` gets it
 * when they let the upgrade go on (its headers go into the 101), unless a middleware answered or
 * the client went away meanwhile.
 */
export function runOnUpgrade(
  middlewares: readonly EngineMiddleware[],
  req: IncomingMessage,
  socket: Duplex,
  target: RequestTarget,
  fail: () => void,
  pass: (res: UpgradeResponse, added: readonly string[]) => void,
): void {
  const res = new UpgradeResponse(req, socket);
  runMiddlewares(middlewares, req, res as unknown as ServerResponse, target, (failed, added) => {
    if (failed) fail();
    else if (res.writableEnded || socket.destroyed) socket.destroy();
    else pass(res, added);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The most of a body an upgrade's middleware may write before its answer is sent; more is dropped. */
const MAX_UPGRADE_BODY = 64 * 1024;

/**
 * What middlewares get as the response of a WebSocket upgrade, where there is no ServerResponse:
 * the parts of its interface middlewares use. Headers they set are added to the 101 answer (engine
 * .io does the same; express-session sets its cookie this way, when the engine calls `writeHead()`
 * just before answering). A middleware that ends it answers the upgrade itself: its status, headers
 * and body are written to the socket, which is then closed (engine.io 6.6 closes the socket without
 * an answer). It emits `finish` when ended and `close` when the socket closes, as middlewares such
 * as pino-http expect.
 */
export class UpgradeResponse extends EventEmitter {
  statusCode = 200;
  statusMessage: string | undefined;
  private readonly fields = new Map<string, { readonly name: string; readonly value: OutgoingHttpHeader }>();
  private headWritten = false;
  private ended = false;
  private readonly body: Buffer[] = [];
  private bodySize = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly socket: Duplex,
  ) {
    super();
    socket.once('close', () => this.emit('close'));
  }

  /** Whether `writeHead` was called (by a middleware, or by the engine before it answers). */
  get headersSent(): boolean {
    return this.headWritten;
  }

  /** Whether a middleware ended the response: it answered the upgrade. */
  get writableEnded(): boolean {
    return this.ended;
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Throws on a name or value node would refuse (one that could split the answer). */
  setHeader(name: string, value: OutgoingHttpHeader): this {
    validateHeaderName(name);
    validateHeaderValue(name, value as string);
    this.fields.set(name.toLowerCase(), { name, value });
    return this;
  }

  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.fields.get(name.toLowerCase())?.value;
  }

  hasHeader(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  getHeaderNames(): string[] {
    return [...this.fields.keys()];
  }

  getHeaders(): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    for (const [key, { value }] of this.fields) headers[key] = value;
    return headers;
  }

  /** Records the status and headers; nothing is written until `end` (or the engine's 101). */
  writeHead(
    status?: number,
    messageOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    if (typeof status === 'number') this.statusCode = status;
    let headers = maybeHeaders;
    if (typeof messageOrHeaders === 'string') this.statusMessage = messageOrHeaders;
    else headers ??= messageOrHeaders;
    if (Array.isArray(headers)) {
      // node's flat form: name, value, name, value...
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1]!);
    } else if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name];
        if (value !== undefined) this.setHeader(name, value);
      }
    }
    this.headWritten = true;
    return this;
  }

  /** node's name for the implicit `writeHead` of a first write (express-session calls it). */
  _implicitHeader(): void {
    this.writeHead(this.statusCode);
  }

  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (!this.ended) this.addBody(chunk, encoding);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
    return true;
  }

  end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    const cb = [chunk, encoding, callback].find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (this.ended) return this;
    if (typeof chunk !== 'function') this.addBody(chunk, encoding);
    this.ended = true;
    this.writeAnswer();
    this.emit('finish');
    if (cb !== undefined) queueMicrotask(cb);
    return this;
  }

  /**
   * The headers of the 101 answer: `writeHead()` is called first, as engine.io calls it, because
   * middlewares such as express-session add their headers then (on-headers).
   */
  switchingHeaders(): OutgoingHttpHeaders {
    try {
      this.writeHead();
    } catch {
      // A middleware's header hook failed: the upgrade goes on with the headers set so far.
    }
    return this.answerHeaders();
  }

  /** The headers the middlewares set, by the names they gave. */
  private answerHeaders(): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    for (const { name, value } of this.fields.values()) headers[name] = value;
    return headers;
  }

  private addBody(chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk)
          : undefined;
    if (bytes === undefined || this.bodySize + bytes.length > MAX_UPGRADE_BODY) return;
    this.body.push(bytes);
    this.bodySize += bytes.length;
  }

  /** The middleware's answer, as a closing HTTP/1.1 response. */
  private writeAnswer(): void {
    const socket = this.socket;
    socket.on('error', ignoreSocketError);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = this.statusCode;
    const reason = this.statusMessage ?? STATUS_CODES[status] ?? '';
    const headers = this.answerHeaders();
    for (const name of Object.keys(headers)) {
      // Framing is the engine's: the answer has exactly this body and closes the connection.
      const lower = name.toLowerCase();
      if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') delete headers[name];
    }
    const body = Buffer.concat(this.body);
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (const line of upgradeLines(headers)) head += `${line}\r\n`;
    head += `Connection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const timer = setTimeout(() => socket.destroy(), 1000);
    timer.unref();
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]), () => {
      clearTimeout(timer);
      socket.destroy();
    });
  }
}
