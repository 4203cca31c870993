import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AttachHooks } from './attach-hooks.js';
import { corsHeaders } from './cors.js';
import { type EngineError, ignoreSocketError, writeUpgradeError } from './errors.js';
import { connectionError, type EngineRequest, type EngineServerEvents, upgradeLines } from './events.js';
import { Heartbeat } from './heartbeat.js';
import { type HttpExchange, incomingOf, NodeExchange, type RequestSource, refuse } from './http/exchange.js';
import { OwnedHttp } from './http/owned.js';
import { Forwarder } from './forward/forwarder.js';
import { newSessionId, randomId } from './ids.js';
import { type EngineOptions, type ResolvedEngineOptions, resolveOptions } from './options.js';
import { clientsView } from './clients.js';
import { addCookie, checkAllowed, openPacket, sessionCookie } from './handshake-parts.js';
import { type EngineMiddleware, MIDDLEWARE_FAILURE, runOnPolling, runOnUpgrade, type UpgradeResponse } from './middlewares.js';
import { matchesPath, parseRequest, RequestTarget } from './request.js';
import { Session, type SessionHost } from './session.js';
import { PollingTransport } from './transports/polling.js';
import { pollingTransportFor, websocketTransportFor } from './v3/transports.js';
import { type HeaderEvents, NO_HEADERS } from './transports/transport.js';
import { WebSocketAcceptor, type WebSocketTransport } from './transports/websocket.js';
import {
  type EngineHandler,
  type EngineProtocol,
  type EngineSession,
  type SessionHandler,
  summarizeRequest,
} from './types.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const CLOSING: EngineError = Object.freeze({ code: 'BAD_REQUEST', message: 'Server is closing' });
/** A request target the engine cannot read (it cannot come from a client that reached our path). */
const BAD_TARGET: EngineError = Object.freeze({ code: 'BAD_REQUEST', message: 'Bad request target' });

/**
 * The engine attached last to each HTTP server: a closed engine whose server was given a new one
 * (the layer above attaching again after close) leaves upgrades to it, which sees them too.
 */
const latestEngine = new WeakMap<HttpServer, EngineServer<unknown>>();

/** Completes nothing: the WebSocket the acceptor just opened is closed at once (a close frame). */
function closeAtOnce(ws: WebSocketTransport): void {
  ws.close();
}

/**
 * An Engine.IO v4 server: the session table, handshakes, long-polling requests and WebSocket
 * upgrades. It knows nothing of the layer above beyond {@link EngineHandler}. It emits engine.io's
 * events ({@link EngineServerEvents}); `Conn` is what its `connection` event hands out (the layer
 * above's view of a session, see EngineHandler.connectionOf).
 */
export class EngineServer<Conn = EngineSession> extends EventEmitter<EngineServerEvents<Conn>> {
  /** The options in force, defaults applied. */
  readonly options: ResolvedEngineOptions;
  /**
   * The same under engine.io's names, as it declares `opts` public (`io.engine.opts.pingInterval`):
   * the payload bound is also `maxHttpBufferSize` there.
   */
  readonly opts: ResolvedEngineOptions & { readonly maxHttpBufferSize: number };
  private readonly table = new Map<string, Session>();
  private readonly acceptor: WebSocketAcceptor;
  private readonly host: SessionHost;
  private closing = false;
  /** The servers whose connections the engine answers itself (ownHttp). */
  private readonly owned: OwnedHttp[] = [];
  /** Whether `headers` or `initial_headers` has listeners: answers then show them their headers. */
  private watchingHeaders = false;
  /** The transports' view of those listeners. */
  private readonly headerEvents: HeaderEvents;
  /** `use()`'s middlewares, in order; replaced, never changed, so that a run in progress keeps its list. */
  private middlewares: readonly EngineMiddleware[] = [];
  /** What each open session reports to (the layer above's view of a session is built from it). */
  private readonly handlers = new WeakMap<Session, SessionHandler>();
  /** Passes requests for other nodes' sessions to them (the `forward` option), when on. */
  private readonly forwarder: Forwarder | undefined;
  /**
   * The open sessions by id, as engine.io's `clients`: each the object the `connection` event gave
   * (socket.io's `socket.conn`). A live read-only view of the session table.
   */
  readonly clients: Readonly<Record<string, Conn>>;

  constructor(
    private readonly handler: EngineHandler<Conn>,
    options?: Partial<EngineOptions>,
  ) {
    super();
    this.options = resolveOptions(options);
    this.opts = Object.freeze({ ...this.options, maxHttpBufferSize: this.options.maxPayload });
    if (this.options.generateId !== undefined) this.generateId = this.options.generateId;
    const forward = this.options.forward;
    // A held long-poll lasts up to pingInterval; the owner answers within it.
    if (forward !== undefined) this.forwarder = new Forwarder(forward, this.options.pingInterval + this.options.pingTimeout);
    // Kept up to date here so that each answer reads one field, not the listener table.
    const untyped = this as EventEmitter;
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'headers' || event === 'initial_headers') this.watchingHeaders = true;
    });
    untyped.on('removeListener', () => {
      this.watchingHeaders = this.listenerCount('headers') + this.listenerCount('initial_headers') > 0;
    });
    const server = this;
    this.headerEvents = {
      get watched() {
        return server.watchingHeaders;
      },
      emitHeaders: (headers, exchange, initial) => this.emitHeaders(headers, exchange.incoming ?? exchange.request, initial),
    };
    this.clients = clientsView(this.table, (session) => this.connectionOf(session));
    this.acceptor = new WebSocketAcceptor(this.options);
    this.host = {
      options: this.options,
      heartbeat: new Heartbeat(this.options.pingInterval, this.options.pingTimeout),
      remove: (session) => {
        if (this.table.get(session.id) === session) this.table.delete(session.id);
      },
    };
  }

  /** How many sessions are open. */
  get clientsCount(): number {
    return this.table.size;
  }

  /**
   * Makes the id of a new session: random by default. Assign your own as on engine.io
   * (`io.engine.generateId = (req) => id`); it may return a promise. It gets node's IncomingMessage,
   * or on the engine's own HTTP path (`ownHttp`) what was read of the request (see EngineRequest).
   * An id that throws, rejects or is already in use refuses the handshake (400, `connection_error`
   * with context `{ name: 'ID_GENERATION_ERROR', error }`).
   */
  generateId(_req: IncomingMessage): string | PromiseLike<string> {
    let id: string;
    do id = randomId();
    while (this.table.has(id));
    return id;
  }

  /** The open sessions. */
  sessions(): IterableIterator<EngineSession> {
    return this.table.values();
  }

  /**
   * Adds an Express-style middleware (`(req, res, next)`), run as engine.io runs them: in the order
   * added, on every HTTP request the engine handles (handshakes, later polls and posts, WebSocket
   * upgrades), after CORS and before anything else is checked (see EngineMiddleware). Properties
   * they add to the request of a handshake (`req.session`, `req.user`) read the same on the
   * session's `request` (socket.io's `socket.request`). With middlewares, the engine's own HTTP
   * path (`ownHttp`) leaves new requests to node:http: middlewares need its request and response.
   */
  use(middleware: EngineMiddleware): void {
    this.middlewares = [...this.middlewares, middleware];
  }

  /**
   * Serves `options.path` on `httpServer`. The existing 'request' listeners are moved behind one
   * that routes our path to the engine and everything else to them; 'upgrade' requests outside our
   * path are left to other listeners. An engine may serve several servers, each with its own
   * `hooks` (a node's public server, and the one its peers forward to).
   */
  attach(httpServer: HttpServer, hooks: AttachHooks = {}): void {
    const basePath = this.options.basePath;
    latestEngine.set(httpServer, this);
    const prior = httpServer.listeners('request') as RequestListener[];
    httpServer.removeAllListeners('request');
    httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const target = RequestTarget.parse(req.url);
      if (target?.isUnder(basePath)) {
        this.handleRequest(new NodeExchange(req, res), target, hooks.interceptRequest);
        return;
      }
      for (const listener of prior) listener.call(httpServer, req, res);
    });
    const upgrade = (req: RequestSource, socket: Duplex, head: Buffer, target: RequestTarget): void => {
      this.handleUpgrade(req, socket, head, target, hooks.interceptUpgrade);
    };
    httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.closing && latestEngine.get(httpServer) !== this) return;
      const target = RequestTarget.parse(req.url);
      if (target?.isUnder(basePath)) {
        upgrade(req, socket, head, target);
      } else if (httpServer.listenerCount('upgrade') === 1) {
        // Nobody else will answer this upgrade.
        socket.on('error', ignoreSocketError);
        socket.destroy();
      }
    });
    if (this.answersHttpItself()) {
      const owned = OwnedHttp.takeOver(httpServer, {
        // Middlewares take node's request and response: with any, node:http answers.
        owns: (url) => this.middlewares.length === 0 && matchesPath(url, basePath),
        handle: (exchange) => this.handleRequest(exchange, undefined, hooks.interceptRequest),
        upgrade: (req, socket, head) => {
          const target = RequestTarget.parse(req.url);
          if (target === undefined) writeUpgradeError(socket, BAD_TARGET);
          else upgrade(req, socket, head, target);
        },
      });
      if (owned !== undefined) this.owned.push(owned);
    }
  }

  /**
   * Whether the engine may answer long-polling requests without node:http: polling is on, and no
   * hook needs node's IncomingMessage (allowRequest, generateId get it, as on engine.io).
   */
  private answersHttpItself(): boolean {
    const o = this.options;
    // Forwarding streams node's request and response to the owner: it needs node:http too.
    return (
      o.ownHttp &&
      o.transports.includes('polling') &&
      o.allowRequest === undefined &&
      o.generateId === undefined &&
      o.forward === undefined
    );
  }

  /**
   * Handles one HTTP request under our path: CORS, handshake, or a session's poll or post. `target`
   * is the request target as read by the caller (read here when not given).
   */
  handleRequest(
    exchange: HttpExchange,
    target = RequestTarget.parse(exchange.request.url),
    hook?: AttachHooks['interceptRequest'],
  ): void {
    const cors = this.options.cors;
    if (cors === false) {
      this.route(exchange, NO_HEADERS, target, hook);
      return;
    }
    corsHeaders(cors, exchange.request, ({ common, preflight }) => {
      if (exchange.request.method === 'OPTIONS') {
        exchange.discardBody();
        exchange.reply(204, { ...common, ...preflight }, '');
        return;
      }
      this.route(exchange, common, target, hook);
    });
  }

  /**
   * Handles one WebSocket upgrade under our path: a WebSocket handshake, or a probe of a polling
   * session. `target` is the request target as read by the caller (read here when not given).
   */
  handleUpgrade(
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target = RequestTarget.parse(req.url),
    hook?: AttachHooks['interceptUpgrade'],
  ): void {
    socket.on('error', ignoreSocketError);
    if (this.closing) {
      writeUpgradeError(socket, CLOSING);
      return;
    }
    if (target === undefined) {
      writeUpgradeError(socket, BAD_TARGET);
      return;
    }
    // Before the middlewares: the owner runs them, as if the client had come to it.
    if (this.forwarder?.forwardUpgrade(req, socket, head, target)) return;
    const passed = (res: UpgradeResponse | undefined, added: readonly string[] | undefined): void => {
      const lines = (): string[] => this.upgradeLines(req, true, undefined, res);
      if (hook?.(req, socket, head, target, { headerLines: lines, added })) return;
      this.upgrade(req, socket, head, target, res, added);
    };
    if (this.middlewares.length === 0) {
      passed(undefined, undefined);
      return;
    }
    const fail = (): void => {
      this.refused(req, MIDDLEWARE_FAILURE);
      writeUpgradeError(socket, MIDDLEWARE_FAILURE);
    };
    const incoming = incomingOf(req);
    // Not node's request: cannot happen, with middlewares upgrades come through node:http (attach).
    if (incoming === undefined) fail();
    else {
      runOnUpgrade(this.middlewares, incoming, socket, target, fail, (res, added) => {
        if (this.closing) writeUpgradeError(socket, CLOSING);
        else passed(res, added);
      });
    }
  }

  /** An upgrade whose middlewares let it through: `res` and `added` are theirs, when there are any. */
  private upgrade(
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
    res: UpgradeResponse | undefined,
    added: readonly string[] | undefined,
  ): void {
    const refuse = (error: EngineError): void => {
      this.refused(req, error);
      writeUpgradeError(socket, error);
    };
    const parsed = parseRequest(req, target, this.options.transports, true, this.options.allowEIO3);
    if (!parsed.ok) {
      refuse(parsed.error);
      return;
    }
    const { sid, protocol } = parsed.value;
    const create = websocketTransportFor(protocol, target);
    if (sid !== undefined) {
      const session = this.table.get(sid);
      if (session === undefined) {
        refuse({ code: 'SESSION_ID_UNKNOWN', context: { sid } });
      } else if (session.protocol !== protocol) {
        // As engine.io: an upgrade must speak the revision of the session it upgrades.
        refuse({ code: 'BAD_REQUEST' });
      } else if (!this.options.allowUpgrades || !session.upgradable) {
        // A second WebSocket for a session that has one (or is getting one), or that cannot take
        // one: as engine.io, the handshake completes and the new WebSocket is closed at once, so
        // the client sees a close, not an HTTP error; the session and its transport go on.
        this.acceptor.accept(req, socket, head, this.upgradeLines(req, false, undefined, res), closeAtOnce);
      } else {
        this.acceptor.accept(
          req,
          socket,
          head,
          this.upgradeLines(req, false, undefined, res),
          (probe) => session.attachProbe(probe),
          create,
        );
      }
      return;
    }
    const incoming = incomingOf(req);
    this.checkAllowed(incoming, (error) => {
      if (error !== undefined) {
        refuse(error);
        return;
      }
      this.newId(req, refuse, (id) => {
        if (this.closing || socket.destroyed) {
          socket.destroy();
          return;
        }
        const lines = this.upgradeLines(req, true, sessionCookie(this.options.cookie, id), res);
        const created = (ws: WebSocketTransport): void => {
          if (this.closing) {
            ws.destroy();
            return;
          }
          const session = new Session(this.host, id, summarizeRequest(req, target, added), ws, protocol);
          this.table.set(id, session);
          ws.sendPacket(openPacket(this.options, id, 'websocket'));
          this.open(session);
        };
        this.acceptor.accept(req, socket, head, lines, created, create);
      });
    });
  }

  /**
   * The extra lines of a 101: the headers middlewares set on `res`, the cookie of a handshake, and
   * what `headers` listeners add (they see an object, as on engine.io; a list value becomes one
   * line per entry).
   */
  private upgradeLines(
    req: RequestSource,
    initial: boolean,
    cookie: string | undefined,
    res: UpgradeResponse | undefined,
  ): string[] {
    const headers: OutgoingHttpHeaders = res === undefined ? {} : res.switchingHeaders();
    if (cookie !== undefined) addCookie(headers, cookie);
    if (this.watchingHeaders) this.emitHeaders(headers, req, initial);
    return upgradeLines(headers);
  }

  private emitHeaders(headers: OutgoingHttpHeaders, req: EngineRequest, initial: boolean): void {
    if (initial) this.emit('initial_headers', headers, req);
    this.emit('headers', headers, req);
  }

  /** Tells `connection_error` listeners of a refusal, with engine.io's code and message. */
  private refused(req: EngineRequest, error: EngineError): void {
    if (this.listenerCount('connection_error') > 0) this.emit('connection_error', connectionError(req, error));
  }

  /** A new session is in the table and its open packet written: the layer above takes it, then listeners hear of it. */
  private open(session: Session): void {
    const handler = this.handler.onSession(session);
    this.handlers.set(session, handler);
    session.start(handler);
    if (this.listenerCount('connection') === 0) return;
    this.emit('connection', this.connectionOf(session));
  }

  /** The layer above's view of a session (what `connection` and `clients` give), or the session itself. */
  private connectionOf(session: Session): Conn {
    const handler = this.handlers.get(session);
    const conn = handler === undefined ? undefined : this.handler.connectionOf?.(session, handler);
    return conn ?? (session as unknown as Conn);
  }

  /** The id of a new session (see newSessionId): `fail` gets the refusal, `done` the id. */
  private newId(req: RequestSource, fail: (error: EngineError) => void, done: (id: string) => void): void {
    const forwarder = this.forwarder;
    newSessionId(
      () => this.generateId(req as IncomingMessage),
      (id) => this.table.has(id),
      forwarder === undefined ? undefined : (id) => forwarder.ownId(id),
      fail,
      done,
    );
  }

  /**
   * Closes every session (reason 'server shutting down', with a close packet) and refuses new ones;
   * closes the connections it answers itself (ownHttp) once their last answer is sent.
   */
  async close(): Promise<void> {
    this.closing = true;
    // First, so that the answers the shutdown sends say `Connection: close`.
    const ownedClosed = this.owned.map((owned) => owned.close(1000));
    this.forwarder?.close();
    for (const session of [...this.table.values()]) session.shutdown();
    this.host.heartbeat.clear();
    await Promise.all([this.acceptor.drain(1000), ...ownedClosed]);
  }

  private route(
    exchange: HttpExchange,
    headers: OutgoingHttpHeaders,
    target: RequestTarget | undefined,
    hook: AttachHooks['interceptRequest'],
  ): void {
    // Before the middlewares: the owner runs them (and CORS again: its answer's headers are the ones sent).
    if (target !== undefined && !this.closing && this.forwarder?.forwardRequest(exchange, headers, target)) return;
    if (target !== undefined && hook?.(exchange, headers, target)) return;
    if (target === undefined) {
      refuse(exchange, this.closing ? CLOSING : BAD_TARGET, headers);
      return;
    }
    if (this.middlewares.length === 0) {
      this.serve(exchange, headers, target, undefined);
      return;
    }
    if (!(exchange instanceof NodeExchange)) {
      // Cannot happen: with middlewares, requests come through node:http (see attach).
      this.refuseRequest(exchange, MIDDLEWARE_FAILURE, headers);
      return;
    }
    const fail = (answer: boolean): void => {
      this.refused(exchange.incoming, MIDDLEWARE_FAILURE);
      if (answer) refuse(exchange, MIDDLEWARE_FAILURE, headers);
    };
    runOnPolling(this.middlewares, exchange, headers, target, fail, (added) => this.serve(exchange, headers, target, added));
  }

  /** A request past the middlewares: a handshake, or a poll or post of a session. */
  private serve(
    exchange: HttpExchange,
    headers: OutgoingHttpHeaders,
    target: RequestTarget,
    added: readonly string[] | undefined,
  ): void {
    if (this.closing) {
      refuse(exchange, CLOSING, headers);
      return;
    }
    const parsed = parseRequest(exchange.request, target, this.options.transports, false, this.options.allowEIO3);
    if (!parsed.ok) {
      this.refuseRequest(exchange, parsed.error, headers);
      return;
    }
    const info = parsed.value;
    if (info.sid !== undefined) {
      const session = this.table.get(info.sid);
      if (session === undefined) {
        this.refuseRequest(exchange, { code: 'SESSION_ID_UNKNOWN', context: { sid: info.sid } }, headers);
      } else if (info.transport !== session.transport) {
        const context = { name: 'TRANSPORT_MISMATCH', transport: info.transport, previousTransport: session.transport };
        this.refuseRequest(exchange, { code: 'BAD_REQUEST', context }, headers);
      } else if (!session.handlePolling(exchange, info.method, headers)) {
        refuse(exchange, { code: 'BAD_REQUEST' }, headers);
      }
      return;
    }
    this.handshake(exchange, headers, target, info.protocol, added);
  }

  /** Refuses a request and tells `connection_error` listeners. */
  private refuseRequest(exchange: HttpExchange, error: EngineError, headers: OutgoingHttpHeaders): void {
    this.refused(exchange.incoming ?? exchange.request, error);
    refuse(exchange, error, headers);
  }

  /** A polling handshake: allowRequest, then a new session and its open packet. */
  private handshake(
    exchange: HttpExchange,
    headers: OutgoingHttpHeaders,
    target: RequestTarget,
    protocol: EngineProtocol,
    added: readonly string[] | undefined,
  ): void {
    const fail = (error: EngineError): void => this.refuseRequest(exchange, error, headers);
    this.checkAllowed(exchange.incoming, (error) => {
      if (error !== undefined) {
        fail(error);
        return;
      }
      this.newId(exchange.request, fail, (id) => {
        if (this.closing) {
          refuse(exchange, CLOSING, headers);
          return;
        }
        // The client went away while an id was being made: no session for nobody.
        if (!exchange.answerable) return;
        const transport = pollingTransportFor(protocol, target, this.options.maxPayload, this.headerEvents);
        const session = new Session(this.host, id, summarizeRequest(exchange.request, target, added), transport, protocol);
        this.table.set(id, session);
        const cookie = sessionCookie(this.options.cookie, id);
        PollingTransport.respond(
          exchange,
          transport.payloadOf([{ kind: 'packet', packet: openPacket(this.options, id, 'polling') }]),
          headers,
          this.headerEvents,
          cookie === undefined ? {} : { 'Set-Cookie': cookie },
        );
        this.open(session);
      });
    });
  }

  /** Runs the `allowRequest` hook: `done()` when the request may proceed, `done(error)` when refused. */
  checkAllowed(req: IncomingMessage | undefined, done: (error: EngineError | undefined) => void): void {
    checkAllowed(this.options.allowRequest, req, done);
  }
}
