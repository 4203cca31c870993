import { createServer, type Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import {
  type AttachHooks,
  EngineServer,
  type EngineSession,
  incomingOf,
  type PassedUpgrade,
  type RequestSource,
  type RequestTarget,
  type SessionHandler,
  writeUpgradeError,
} from '../engine/index.js';
import { PlainWebSocketServer } from '../native/index.js';
import { type AdapterConstructor, type Room, type SocketId, socketIoFormat } from './adapter.js';
import type { AnyAdapterConstructor } from './adapter-compat.js';
import { AdapterEncoder } from './adapter-bridge.js';
import { parserFormat } from './custom-parser.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './options.js';
import type { SecondArg } from './broadcast.js';
import type { ConnectionInfo } from './client.js';
import { ConnectDeadlines } from './connect-deadlines.js';
import { Connection, type ConnectionHost } from './connection.js';
import { ConnectionV2 } from './v2-connection.js';
import { type Middleware, Namespace, type NamespaceReservedEvents } from './namespace.js';
import { type NamespaceMatcher, ParentNamespace } from './parent-namespace.js';
import { PlainClient } from './plain-client.js';
import { ClientFileServer } from './serve-client.js';
import type { Socket } from './socket.js';
import type {
  AllButLast,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  Last,
} from './typed-events.js';

/** The servers `attach` takes, as socket.io types them (an HTTP/2 one needs `allowHTTP1` for polling). */
export type HttpServerInstance = HttpServer | HttpsServer | Http2SecureServer | Http2Server;

/** The events of the server (its main namespace's). */
type ServerEvents<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> = NamespaceReservedEvents<
  Socket<L, E, S, D>,
  Namespace<L, E, S, D>
>;
type ServerEvent = keyof NamespaceReservedEvents<unknown>;

/**
 * A Socket.IO v5 server, with socket.io v4's API: `io.on('connection')`, `io.of()`, `io.use()`,
 * `io.to(room).emit()`, `fetchSockets()`... The server's own broadcast methods act on the main
 * namespace '/'.
 */

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default, so untyped `socket.data.x` compiles as it does there
  SocketData = any,
> {
  /**
   * The Engine.IO server carrying the connections, as socket.io's `io.engine`: `clientsCount`,
   * `generateId`, and the events `connection` (with the `socket.conn` of the session's sockets),
   * `connection_error`, `initial_headers` and `headers`. A new one when `attach` follows `close`,
   * or gives options (as socket.io's, listeners are not carried over).
   */
  engine: EngineServer<ConnectionInfo>;
  /** The main namespace '/'. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The plain-WebSocket endpoint, when the `plainWebSocket` option is on (renewed with the engine). */
  plain: PlainWebSocketServer | undefined;
  /**
   * The HTTP server last attached to. Typed as socket.io types it: unset until `attach`/`listen`
   * (or a server given to the constructor).
   */
  httpServer!: HttpServerInstance;

  /** The options given to the constructor, which win over those given to `attach` (as socket.io). */
  private readonly given: Partial<ServerOptions>;
  /** The options in force, defaults applied. */
  private options: ResolvedServerOptions;
  /** Set by `close()`: the engine refuses everything, so the next `attach` makes a new one. */
  private closed = false;
  /** The adapter class of namespaces created from now on (`io.adapter(Class)` changes it). */
  private adapterClass: AdapterConstructor;
  private readonly namespaces = new Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private readonly parents = new Map<
    NamespaceMatcher,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private readonly connectionHost: ConnectionHost;
  private adapterEncoder: AdapterEncoder | undefined;
  private optsView:
    | { source: ResolvedServerOptions; view: Partial<ServerOptions> & { connectionStateRecovery: ResolvedServerOptions['connectionStateRecovery'] } }
    | undefined;

  constructor(options?: Partial<ServerOptions>);
  constructor(server?: HttpServerInstance | number, options?: Partial<ServerOptions>);
  constructor(server: undefined | Partial<ServerOptions> | HttpServerInstance | number, options?: Partial<ServerOptions>);
  constructor(
    serverOrOptions?: HttpServerInstance | number | Partial<ServerOptions>,
    maybeOptions?: Partial<ServerOptions>,
  ) {
    const server =
      isHttpServer(serverOrOptions) || typeof serverOrOptions === 'number' ? serverOrOptions : undefined;
    const given =
      server === undefined ? ((serverOrOptions as Partial<ServerOptions>) ?? {}) : (maybeOptions ?? {});
    this.given = given;
    this.options = resolveServerOptions(given);
    this.adapterClass = this.options.adapter;
    this.connectionHost = {
      connectDeadlines: new ConnectDeadlines(this.options.connectTimeout),
      maxAttachments: this.options.maxAttachments,
      parser: this.options.parser,
      format: this.options.parser === undefined ? socketIoFormat : parserFormat(this.options.parser),
      resolveNamespace: (name, auth, done) => this.resolveNamespace(name, auth, done),
    };
    this.engine = this.createEngine();
    this.plain = this.createPlain();
    this.sockets = this.of('/');
    if (server !== undefined) this.attach(server);
  }

  /** A new engine with the options in force (the constructor's, or an `attach` that gave some). */
  private createEngine(): EngineServer<ConnectionInfo> {
    return new EngineServer<ConnectionInfo>(
      {
        onSession: (session: EngineSession): SessionHandler =>
          session.protocol === 3
            ? new ConnectionV2(this.connectionHost, session)
            : new Connection(this.connectionHost, session),
        connectionOf: (_session, handler) => (handler as Connection).info,
      },
      this.options.engine,
    );
  }

  private createPlain(): PlainWebSocketServer | undefined {
    const plain = this.options.plainWebSocket;
    if (plain === false) return undefined;
    return new PlainWebSocketServer(
      (session) => PlainClient.start(session, this.connectionHost, plain.maxAttachments),
      plain,
    );
  }

  /** The connection state recovery options in force, or false when it is off (namespaces read it). */
  get connectionStateRecovery(): ResolvedServerOptions['connectionStateRecovery'] {
    return this.options.connectionStateRecovery;
  }

  /**
   * socket.io's `io.encoder`, which socket.io-adapter's adapters encode broadcasts with: the
   * socket.io-parser format, each result carrying parley's encoded packet (adapter-bridge.ts).
   */
  get encoder(): AdapterEncoder {
    this.adapterEncoder ??= new AdapterEncoder();
    return this.adapterEncoder;
  }

  /**
   * socket.io's `io.opts` as adapters read it: the options given, with `connectionStateRecovery`
   * resolved (false when off). Read-only; a new object after `attach` with options.
   */
  get opts(): Readonly<Partial<ServerOptions>> & { connectionStateRecovery: ResolvedServerOptions['connectionStateRecovery'] } {
    if (this.optsView?.source !== this.options) {
      const view = { ...this.given, connectionStateRecovery: this.options.connectionStateRecovery };
      this.optsView = { source: this.options, view };
    }
    return this.optsView.view;
  }

  /**
   * Every namespace by name (dynamic children included, their parents not), as socket.io's
   * `io._nsps`, which tools such as @socket.io/admin-ui read. Read-only.
   */
  get _nsps(): ReadonlyMap<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.namespaces;
  }

  /** The engine under socket.io's internal name (`io.eio`), for code that reads it there. */
  get eio(): EngineServer<ConnectionInfo> {
    return this.engine;
  }

  /** The path the server answers on. */
  path(): string {
    return this.options.path;
  }

  /**
   * How long a connection may take to join a namespace (the `connectTimeout` option). Setting it
   * applies to connections made from then on, as on socket.io; those waiting keep their deadline.
   */
  connectTimeout(): number;
  connectTimeout(ms: number): this;
  connectTimeout(ms?: number): number | this {
    if (ms === undefined) return this.options.connectTimeout;
    if (typeof ms !== 'number' || !(ms >= 0)) throw new TypeError(`connectTimeout must be a number of ms >= 0, got ${String(ms)}`);
    this.options = Object.freeze({ ...this.options, connectTimeout: ms });
    this.connectionHost.connectDeadlines.timeoutMs = ms;
    return this;
  }

  /** Whether the browser client's files are served (the `serveClient` option, read at `attach`). */
  serveClient(): boolean;
  serveClient(serve: boolean): this;
  serveClient(serve?: boolean): boolean | this {
    if (serve === undefined) return this.options.serveClient;
    this.options = Object.freeze({ ...this.options, serveClient: serve });
    return this;
  }

  /**
   * Attaches to an HTTP server (or creates one listening on `port`). `options` are merged under
   * the constructor's, as socket.io merges them: a key given to both takes the constructor's value;
   * given any, the server gets a new engine with them. After `close()`, attaching serves again
   * (a new engine and plain-WebSocket endpoint; namespaces, middlewares and listeners stay).
   */
  attach(server: HttpServerInstance | number, options: Partial<ServerOptions> = {}): this {
    if (typeof server === 'function') {
      throw new Error('attach() takes an http.Server (or a port), not a request handler such as an express app');
    }
    const extra = Object.entries(options).filter(
      ([key, value]) => value !== undefined && (this.given as Record<string, unknown>)[key] === undefined,
    );
    if (extra.length > 0) {
      this.options = resolveServerOptions({ ...this.given, ...Object.fromEntries(extra) });
    }
    if (extra.length > 0 || this.closed) {
      this.closed = false;
      this.engine = this.createEngine();
      this.plain = this.createPlain();
    }
    let http: HttpServer;
    if (typeof server === 'number') {
      // As socket.io: what is not the engine's gets a 404.
      http = createServer((_req, res) => {
        res.writeHead(404);
        res.end();
      });
      http.listen(server);
    } else {
      // The engine reads requests through node:http's API, which HTTPS and HTTP/2 (allowHTTP1) share.
      http = server as HttpServer;
    }
    this.httpServer = http;
    this.engine.attach(http, this.attachHooks());
    return this;
  }

  /** What the engine lets this layer answer itself: plain WebSocket upgrades, the client's files. */
  private attachHooks(): AttachHooks {
    const hooks: AttachHooks = {};
    const plain = this.plain;
    if (plain) {
      hooks.interceptUpgrade = (req, socket, head, target, passed) =>
        this.acceptPlain(plain, req, socket, head, target, passed);
    }
    if (this.options.serveClient) {
      const files = new ClientFileServer(this.engine.options.basePath);
      hooks.interceptRequest = (exchange, headers, target) => files.handle(exchange, headers, target);
    }
    return hooks;
  }

  /**
   * Takes an upgrade without `EIO` as a plain WebSocket client, after the engine's middlewares
   * (`io.engine.use()`: the headers they set go in its 101 answer) and the `allowRequest` hook.
   */
  private acceptPlain(
    plain: PlainWebSocketServer,
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
    passed: PassedUpgrade,
  ): boolean {
    if (target.param('EIO') !== null) return false;
    this.engine.checkAllowed(incomingOf(req), (error) => {
      if (error) writeUpgradeError(socket, error);
      else plain.handleUpgrade(req, socket, head, target, passed.headerLines(), passed.added);
    });
    return true;
  }

  /** Alias of `attach`. */
  listen(server: HttpServerInstance | number, options?: Partial<ServerOptions>): this {
    return this.attach(server, options);
  }

  /**
   * The namespace `name`, created on first use. A RegExp or a function declares a dynamic
   * namespace: matching names become child namespaces when a client first connects to them.
   */
  of(
    name: string | NamespaceMatcher,
    onConnection?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name !== 'string') {
      let parent = this.parents.get(name);
      if (!parent) {
        parent = new ParentNamespace(
          this,
          this.adapterClass,
          this.options.cleanupEmptyChildNamespaces ? (child) => this.forgetNamespace(child) : undefined,
        );
        this.parents.set(name, parent);
      }
      if (onConnection) parent.on('connection', onConnection);
      return parent;
    }
    const normalized = name.startsWith('/') ? name : `/${name}`;
    let nsp = this.namespaces.get(normalized);
    if (!nsp) {
      for (const parent of this.parents.values()) {
        for (const child of parent.children) if (child.name === normalized) nsp = child;
      }
    }
    if (!nsp) {
      // As socket.io: a name a RegExp parent matches becomes that parent's child (function
      // matchers are only asked when a client connects).
      const parent = [...this.parents].find(([matcher]) => matcher instanceof RegExp && matcher.test(normalized));
      nsp = parent === undefined ? new Namespace(this, normalized, this.adapterClass) : parent[1].createChild(normalized);
      this.namespaces.set(normalized, nsp);
      this.announceNamespace(nsp);
    }
    if (onConnection) nsp.on('connection', onConnection);
    return nsp;
  }

  private resolveNamespace(
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
  ): void {
    const existing = this.namespaces.get(name);
    if (existing) {
      done(existing);
      return;
    }
    const parents = [...this.parents.entries()];
    const tryNext = (index: number): void => {
      const entry = parents[index];
      if (!entry) {
        done(undefined);
        return;
      }
      const [matcher, parent] = entry;
      const decide = (err: Error | null, allow: boolean) => {
        if (err || !allow) return tryNext(index + 1);
        const again = this.namespaces.get(name);
        if (again) return done(again);
        const child = parent.createChild(name);
        this.namespaces.set(name, child);
        this.announceNamespace(child);
        done(child);
      };
      if (matcher instanceof RegExp) decide(null, matcher.test(name));
      else {
        try {
          matcher(name, auth, decide);
        } catch (err) {
          decide(err instanceof Error ? err : new Error(String(err)), false);
        }
      }
    };
    tryNext(0);
  }

  /** Drops an emptied dynamic child (cleanupEmptyChildNamespaces); a later connection makes it anew. */
  private forgetNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.namespaces.get(nsp.name) === nsp) this.namespaces.delete(nsp.name);
  }

  /** Stops the HTTP server listening (if attached), closes every connection, then resolves once the HTTP server has closed. */
  async close(callback?: (err?: Error) => void): Promise<void> {
    // As socket.io: the HTTP server stops listening first, so the port is free by the time sockets
    // see 'disconnect'; node's close reports ERR_SERVER_NOT_RUNNING for one that was not listening,
    // and its callback waits for the connections, which closing the engine ends.
    this.closed = true;
    const http = this.httpServer as HttpServerInstance | undefined;
    const httpClosed =
      http === undefined ? undefined : new Promise<Error | undefined>((resolve) => http.close((err) => resolve(err)));
    this.plain?.close();
    await this.engine.close();
    this.connectionHost.connectDeadlines.clear();
    for (const nsp of this.namespaces.values()) await nsp.adapter.close();
    callback?.(httpClosed === undefined ? undefined : await httpClosed);
  }

  // ---- the main namespace's API ---------------------------------------------------------------

  /** Adds a connection middleware to the main namespace. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.sockets.use(fn);
    return this;
  }

  // The server's listeners are its main namespace's, as on socket.io (which hands every
  // EventEmitter method of the server to `io.sockets`): `connection` / `connect` for its sockets,
  // `new_namespace` for every namespace created.

  /** Listens for connections to the main namespace, or (`new_namespace`) for namespaces created. */
  on<Ev extends ServerEvent>(event: Ev, listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    this.sockets.on(event, listener);
    return this;
  }

  /** Alias of `on`. */
  addListener<Ev extends ServerEvent>(event: Ev, listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    return this.on(event, listener);
  }

  /** Listens once for a connection to the main namespace, or for the next namespace created. */
  once<Ev extends ServerEvent>(event: Ev, listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    this.sockets.once(event, listener);
    return this;
  }

  /** Adds a listener called before those already there. */
  prependListener<Ev extends ServerEvent>(event: Ev, listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    this.sockets.prependListener(event, listener);
    return this;
  }

  /** Adds a listener called before those already there, removed after its first call. */
  prependOnceListener<Ev extends ServerEvent>(event: Ev, listener: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    this.sockets.prependOnceListener(event, listener);
    return this;
  }

  /** Removes a listener (every listener of the event when none is given). */
  off<Ev extends ServerEvent>(event: Ev, listener?: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    this.sockets.off(event, listener);
    return this;
  }

  /** Alias of `off`. */
  removeListener<Ev extends ServerEvent>(event: Ev, listener?: ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of one event, or of all of them. */
  removeAllListeners(event?: ServerEvent): this {
    this.sockets.removeAllListeners(event);
    return this;
  }

  /** The listeners of an event, as they were given. */
  listeners<Ev extends ServerEvent>(event: Ev): ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev][] {
    return this.sockets.listeners(event);
  }

  /** The listeners of an event as they are called (a `once` listener's wrapper, whose `listener` is the original). */
  rawListeners<Ev extends ServerEvent>(event: Ev): ServerEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[Ev][] {
    return this.sockets.rawListeners(event);
  }

  /** How many listeners an event has. */
  listenerCount(event: ServerEvent): number {
    return this.sockets.listenerCount(event);
  }

  /** The events that have listeners. */
  eventNames(): (string | symbol)[] {
    return this.sockets.eventNames();
  }

  /** The listener limit per event before a leak warning. */
  setMaxListeners(n: number): this {
    this.sockets.setMaxListeners(n);
    return this;
  }

  /** The listener limit per event. */
  getMaxListeners(): number {
    return this.sockets.getMaxListeners();
  }

  /** Tells `new_namespace` listeners of a namespace just created (static, or a dynamic child). */
  private announceNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    // Looked up rather than `this.sockets`: '/' itself is announced while the constructor makes it.
    this.namespaces.get('/')?.announceNamespace(nsp);
  }

  /** Emits to every socket of the main namespace. */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(event, ...args);
  }

  /** Emits to every socket of the main namespace and resolves with their answers. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<SecondArg<Last<EventParams<EmitEvents, Ev>>>> {
    return this.sockets.emitWithAck(event, ...args);
  }

  /** Emits a `message` event to every socket of the main namespace. */
  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  /** Alias of `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Targets the room(s) of the main namespace. */
  to(room: Room | readonly Room[]) {
    return this.sockets.to(room);
  }

  /** Alias of `to`. */
  in(room: Room | readonly Room[]) {
    return this.sockets.in(room);
  }

  /** Every socket of the main namespace except those in the room(s). */
  except(room: Room | readonly Room[]) {
    return this.sockets.except(room);
  }

  /** Sets whether the broadcast is compressed. */
  compress(compress: boolean) {
    return this.sockets.compress(compress);
  }

  /** The broadcast drops its packet for clients not ready to take it. */
  get volatile() {
    return this.sockets.volatile;
  }

  /** Only sockets of this process. */
  get local() {
    return this.sockets.local;
  }

  /** Waits at most `ms` for every recipient's acknowledgement. */
  timeout(ms: number) {
    return this.sockets.timeout(ms);
  }

  /**
   * The adapter class, or (with one) sets it: as socket.io, every namespace gets a new adapter of
   * that class at once, and namespaces created later use it. Call it before clients connect: the
   * rooms of the old adapters are not carried over.
   */
  adapter(): AdapterConstructor;
  adapter(adapterClass: AnyAdapterConstructor): this;
  adapter(adapterClass?: AnyAdapterConstructor): AdapterConstructor | this {
    if (adapterClass === undefined) return this.adapterClass;
    // socket.io-adapter's classes are accepted by type only (adapter-compat.ts).
    const adapterConstructor = adapterClass as AdapterConstructor;
    this.adapterClass = adapterConstructor;
    for (const nsp of this.namespaces.values()) nsp.useAdapter(adapterConstructor);
    return this;
  }

  /** The ids of every socket of the main namespace. */
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  /** Every socket of the main namespace. */
  fetchSockets() {
    return this.sockets.fetchSockets();
  }

  /** Makes every socket of the main namespace join the room(s). */
  socketsJoin(room: Room | readonly Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes every socket of the main namespace leave the room(s). */
  socketsLeave(room: Room | readonly Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects every socket of the main namespace. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /** Emits to the other server processes. */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): boolean {
    return this.sockets.serverSideEmit(event, ...args);
  }

  /** Emits to the other server processes and resolves with their answers (one per server). */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ) {
    return this.sockets.serverSideEmitWithAck(event, ...args);
  }
}

function isHttpServer(value: unknown): value is HttpServer {
  return typeof value === 'object' && value !== null && typeof (value as HttpServer).listen === 'function';
}
