import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { closingAnswer, encodeResponse } from './answer.js';
import type { BodySink, GoneWatcher, HttpExchange, RequestSource } from './exchange.js';
import type { RequestHead } from './head.js';
import type { OwnedConnection } from './owned.js';

/**
 * The requests of the engine's own HTTP path (src/engine/http/owned.ts) as the engine sees them: an
 * exchange per request, answered through its connection, which keeps the order of a connection's
 * requests and their bodies.
 */

/** An upgrade request as the engine reads it (the fields of IncomingMessage it uses). */
export class OwnedRequest implements RequestSource {
  readonly httpVersion = '1.1';

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: RequestHead['headers'],
    readonly socket: Socket,
  ) {}
}

/** One request on an owned connection. */
export class OwnedExchange implements HttpExchange, RequestSource {
  bodyState: 'unread' | 'reading' | 'done';
  private answered = false;
  private closedEarly = false;
  private watcher: GoneWatcher | undefined;

  constructor(
    private readonly connection: OwnedConnection,
    readonly head: RequestHead,
  ) {
    this.bodyState = head.contentLength === 0 ? 'done' : 'unread';
  }

  // The exchange is its own request (one object per request, not two).
  get request(): RequestSource {
    return this;
  }

  get method(): string {
    return this.head.method;
  }

  get url(): string {
    return this.head.url;
  }

  get headers(): RequestHead['headers'] {
    return this.head.headers;
  }

  get httpVersion(): string {
    return '1.1';
  }

  get socket(): Socket {
    return this.connection.socket;
  }

  get incoming(): undefined {
    return undefined;
  }

  get answerable(): boolean {
    return !this.answered && !this.closedEarly;
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: string | Buffer, closeConnection = false): void {
    if (!this.answerable) return;
    this.answered = true;
    const close = closeConnection || this.connection.closesAfter(this);
    const response = encodeResponse(status, headers, body, close, this.connection.keepAliveSeconds);
    // Invalid header values (a CORS or cookie option with a line break) could split the head:
    // node:http throws there; here the answer is a 500 and the connection closes.
    if (response === undefined) this.connection.reply(this, closingAnswer(500), true);
    else this.connection.reply(this, response, close);
  }

  readBody(limit: number, sink: BodySink): void {
    if (this.head.contentLength === 0) {
      this.bodyState = 'done';
      sink.onBody(EMPTY);
      return;
    }
    this.connection.readBody(this, limit, sink);
  }

  discardBody(): void {
    this.connection.discardBody(this);
  }

  watchGone(watcher: GoneWatcher): void {
    this.watcher = watcher;
  }

  /** The connection closed before the answer. */
  gone(): void {
    this.closedEarly = true;
    const watcher = this.watcher;
    this.watcher = undefined;
    if (!this.answered && watcher !== undefined) watcher.onGone(this);
  }
}

export const EMPTY = Buffer.alloc(0);
