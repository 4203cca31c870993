import { createServer, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  EngineServer,
  type EngineSession,
  ignoreSocketError,
  incomingOf,
  type RequestSource,
  type RequestTarget,
  type SessionHandler,
  writeUpgradeError,
} from '../engine/index.js';
import { PlainWebSocketServer } from '../native/index.js';
import type { AdapterConstructor, Room, SocketId } from './adapter.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './options.js';
import type { SecondArg } from './broadcast.js';
import type { ConnectionInfo } from './client.js';
import { ConnectDeadlines } from './connect-deadlines.js';
import { Connection, type ConnectionHost } from './connection.js';
import { type Middleware, Namespace } from './namespace.js';
import { type NamespaceMatcher, ParentNamespace } from './parent-namespace.js';
import { PlainClient } from './plain-client.js';
import type { Socket } from './socket.js';
import type {
  AllButLast,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  Last,
} from './typed-events.js';

/** A `new_namespace` listener. */
type NamespaceListener<N> = (nsp: N) => void;

/**
 * A Socket.IO v5 server, with socket.io v4's API: `io.on('connection')`, `io.of()`, `io.use()`,
 * `io.to(room).emit()`, `fetchSockets()`... The server's own broadcast methods act on the main
 * namespace '/'.
 */

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> {
  /**
   * The Engine.IO server carrying the connections, as socket.io's `io.engine`: `clientsCount`,
   * `generateId`, and the events `connection` (with the `socket.conn` of the session's sockets),
   * `connection_error`, `initial_headers` and `headers`.
   */
  readonly engine: EngineServer<ConnectionInfo>;
  /** The main namespace '/'. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The plain-WebSocket endpoint, when the `plainWebSocket` option is on. */
  readonly plain: PlainWebSocketServer | undefined;
  /** The HTTP server attached to, if any. */
  httpServer: HttpServer | undefined;

  /** The options in force, defaults applied. */
  private readonly options: ResolvedServerOptions;
  /** The adapter class of namespaces created from now on (`io.adapter(Class)` changes it). */
  private adapterClass: AdapterConstructor;
  /** `new_namespace` listeners (socket.io emits the event on the server itself). */
  private namespaceListeners: { listener: NamespaceListener<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>; once: boolean }[] = [];
  private readonly namespaces = new Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private readonly parents = new Map<
    NamespaceMatcher,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private readonly connectionHost: ConnectionHost;

  constructor(options?: Partial<ServerOptions>);
  constructor(server: HttpServer | number, options?: Partial<ServerOptions>);
  constructor(
    serverOrOptions?: HttpServer | number | Partial<ServerOptions>,
    maybeOptions?: Partial<ServerOptions>,
  ) {
    const server =
      isHttpServer(serverOrOptions) || typeof serverOrOptions === 'number' ? serverOrOptions : undefined;
    const given =
      server === undefined ? ((serverOrOptions as Partial<ServerOptions>) ?? {}) : (maybeOptions ?? {});
    this.options = resolveServerOptions(given);
    this.adapterClass = this.options.adapter;
    this.connectionHost = {
      connectDeadlines: new ConnectDeadlines(this.options.connectTimeout),
      maxAttachments: this.options.maxAttachments,
      resolveNamespace: (name, auth, done) => this.resolveNamespace(name, auth, done),
    };
    this.engine = new EngineServer<ConnectionInfo>(
      {
        onSession: (session: EngineSession): SessionHandler => new Connection(this.connectionHost, session),
        connectionOf: (_session, handler) => (handler as Connection).info,
      },
      this.options.engine,
    );
    const plain = this.options.plainWebSocket;
    this.plain =
      plain === false
        ? undefined
        : new PlainWebSocketServer(
            (session) => PlainClient.start(session, this.connectionHost, plain.maxAttachments),
            plain,
          );
    this.sockets = this.of('/');
    if (server !== undefined) this.attach(server);
  }

  /**
   * Every namespace by name (dynamic children included, their parents not), as socket.io's
   * `io._nsps`, which tools such as @socket.io/admin-ui read. Read-only.
   */
  get _nsps(): ReadonlyMap<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.namespaces;
  }

  /** The path the server answers on. */
  path(): string {
    return this.options.path;
  }

  /** Attaches to an HTTP server (or creates one listening on `port`). */
  attach(server: HttpServer | number): this {
    const http = typeof server === 'number' ? createServer() : server;
    if (typeof server === 'number') http.listen(server);
    this.httpServer = http;
    const plain = this.plain;
    this.engine.attach(
      http,
      plain
        ? { interceptUpgrade: (req, socket, head, target) => this.acceptPlain(plain, req, socket, head, target) }
        : {},
    );
    return this;
  }

  /** Takes an upgrade without `EIO` as a plain WebSocket client, after the `allowRequest` hook. */
  private acceptPlain(
    plain: PlainWebSocketServer,
    req: RequestSource,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
  ): boolean {
    if (target.param('EIO') !== null) return false;
    socket.on('error', ignoreSocketError);
    this.engine.checkAllowed(incomingOf(req), (error) => {
      if (error) writeUpgradeError(socket, error);
      else plain.handleUpgrade(req, socket, head, target);
    });
    return true;
  }

  /** Alias of `attach`. */
  listen(server: HttpServer | number): this {
    return this.attach(server);
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
        parent = new ParentNamespace(this, this.adapterClass);
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
      nsp = new Namespace(this, normalized, this.adapterClass);
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

  /** Stops the HTTP server listening (if attached), closes every connection, then resolves once the HTTP server has closed. */
  async close(callback?: (err?: Error) => void): Promise<void> {
    // As socket.io: the HTTP server stops listening first, so the port is free by the time sockets
    // see 'disconnect'; node's close reports ERR_SERVER_NOT_RUNNING for one that was not listening,
    // and its callback waits for the connections, which closing the engine ends.
    const http = this.httpServer;
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

  /** Listens for connections to the main namespace, or (`new_namespace`) for namespaces created. */
  on(event: 'new_namespace', listener: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on(event: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on(
    event: 'connection' | 'connect' | 'new_namespace',
    listener: ((socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void) | ((nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void),
  ): this {
    if (event === 'new_namespace') this.namespaceListeners.push({ listener: listener as NamespaceListener<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>, once: false });
    else this.sockets.on(event, listener as (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void);
    return this;
  }

  /** Listens once for a connection to the main namespace, or for the next namespace created. */
  once(event: 'new_namespace', listener: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  once(event: 'connection' | 'connect', listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  once(
    event: 'connection' | 'connect' | 'new_namespace',
    listener: ((socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void) | ((nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void),
  ): this {
    if (event === 'new_namespace') this.namespaceListeners.push({ listener: listener as NamespaceListener<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>, once: true });
    else this.sockets.once(event, listener as (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void);
    return this;
  }

  /** Removes a connection listener of the main namespace, or a `new_namespace` listener. */
  off(event: 'new_namespace', listener?: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  off(event: 'connection' | 'connect', listener?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  off(
    event: 'connection' | 'connect' | 'new_namespace',
    listener?: ((socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void) | ((nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void),
  ): this {
    if (event === 'new_namespace') {
      this.namespaceListeners = this.namespaceListeners.filter((entry) => listener !== undefined && entry.listener !== listener);
    } else this.sockets.off(event, listener as ((socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void) | undefined);
    return this;
  }

  /** Tells `new_namespace` listeners of a namespace just created (static, or a dynamic child). */
  private announceNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    const listeners = this.namespaceListeners;
    if (listeners.length === 0) return;
    this.namespaceListeners = listeners.filter((entry) => !entry.once);
    for (const { listener } of listeners) listener(nsp);
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
  adapter(adapterClass: AdapterConstructor): this;
  adapter(adapterClass?: AdapterConstructor): AdapterConstructor | this {
    if (adapterClass === undefined) return this.adapterClass;
    this.adapterClass = adapterClass;
    for (const nsp of this.namespaces.values()) nsp.useAdapter(adapterClass);
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
}

function isHttpServer(value: unknown): value is HttpServer {
  return typeof value === 'object' && value !== null && typeof (value as HttpServer).listen === 'function';
}
