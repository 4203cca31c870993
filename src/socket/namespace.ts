import type { Adapter, AdapterConstructor, AdapterHost, Room, SocketDetails, SocketId } from './adapter.js';
import { InMemoryAdapter } from './adapter.js';
import { bridgeForeignAdapter, isForeignAdapter } from './adapter-bridge.js';
import { RemoteSocket } from './remote-socket.js';
import { BroadcastOperator } from './broadcast.js';
import type { ConnectError, SocketClient } from './types.js';
import type { ConnectionStateRecoveryOptions, Session } from './recovery.js';
import { TypedEmitter } from './emitter.js';
import type { Server } from './server.js';
import { Socket } from './socket.js';
import { callMiddleware } from './socket-hooks.js';
import type {
  AllButLast,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  FirstArg,
  Last,
} from './typed-events.js';
import type { SecondArg } from './broadcast.js';

/** A connection middleware (`io.use`): calls `next()` to accept or `next(err)` to refuse. */
export type Middleware<Sock> = (socket: Sock, next: (err?: ConnectError) => void) => void;

/**
 * Events a namespace emits. `new_namespace` is emitted by the main namespace '/' only, for every
 * namespace created: as on socket.io, the server's listeners are the main namespace's.
 */
export interface NamespaceReservedEvents<Sock, Nsp = unknown> {
  connection: (socket: Sock) => void;
  connect: (socket: Sock) => void;
  new_namespace: (nsp: Nsp) => void;
}

export { RemoteSocket };

/** The refusal's message when a middleware throws or rejects (what it threw stays on the server). */
const MIDDLEWARE_FAILED = 'Internal server error';

/** How often an adapter's failures are logged, at most. */
const ADAPTER_REPORT_MS = 5000;

/** Server-side events a namespace cannot carry (socket.io refuses them the same way). */
const RESERVED_SERVER_SIDE_EVENTS: ReadonlySet<string> = new Set(['connect', 'connection', 'new_namespace']);

/**
 * A namespace: its sockets, middlewares and adapter (rooms). `io.of(name)` returns one; the
 * server's own API (`io.emit`, `io.to`, `io.use`...) is that of the main namespace '/'.
 */
export class Namespace<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = DefaultEventsMap,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    // biome-ignore lint/suspicious/noExplicitAny: socket.io's default (see Server)
    SocketData = any,
  >
  extends TypedEmitter<
    NamespaceReservedEvents<
      Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
    >
  >
  implements AdapterHost
{
  /** The namespace name, e.g. '/' or '/admin'. */
  readonly name: string;
  /** The server the namespace belongs to. */
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connected sockets, by id. */
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  /** Clients that asked to join and are still in the middlewares (or a session restore). */
  protected joining = 0;
  /** Room membership and broadcast delivery. */
  adapter: Adapter;
  /** The server's connection state recovery options, or false when it is off. */
  readonly recovery: Readonly<ConnectionStateRecoveryOptions> | false;

  /** Connection middlewares, in order. */
  protected middlewares: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>[] = [];
  private ackIds = 0;
  /** When the next adapter failure may be logged, and how many were not since the last. */
  private adapterReports: { nextAt: number; suppressed: number } | undefined;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    adapterConstructor: AdapterConstructor = InMemoryAdapter,
  ) {
    super();
    this.server = server;
    this.name = name;
    // Before the adapter is built: a session-aware one reads it.
    this.recovery = server.connectionStateRecovery;
    this.adapter = this.buildAdapter(adapterConstructor);
  }

  /** Replaces the adapter with a new one of `adapterConstructor` (`io.adapter(Class)`). */
  useAdapter(adapterConstructor: AdapterConstructor): void {
    this.adapter = this.buildAdapter(adapterConstructor);
  }

  /**
   * Builds and starts an adapter: parley's own, or one of socket.io-adapter's kind (given this
   * namespace as its `nsp`, as socket.io does), bridged to parley's interface (adapter-bridge.ts).
   */
  private buildAdapter(adapterConstructor: AdapterConstructor): Adapter {
    const built: unknown = new adapterConstructor(this);
    const adapter = isForeignAdapter(built, this) ? bridgeForeignAdapter(built, this) : (built as Adapter);
    const started = adapter.init();
    if (started instanceof Promise) started.catch((err: unknown) => this.reportAdapterError(err));
    return adapter;
  }

  /**
   * An adapter failure nobody awaits (a store that is down): logged, never an unhandled rejection;
   * at most one line every 5 s per namespace, the next one counting those left out.
   */
  reportAdapterError(err: unknown): void {
    const now = Date.now();
    const reports = this.adapterReports;
    if (reports !== undefined && now < reports.nextAt) {
      reports.suppressed++;
      return;
    }
    const suppressed = reports?.suppressed ?? 0;
    this.adapterReports = { nextAt: now + ADAPTER_REPORT_MS, suppressed: 0 };
    const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
    console.error(`parley: the adapter of namespace ${this.name} failed${more}:`, err instanceof Error ? err.message : err);
  }

  /** Adds a connection middleware. */
  use(fn: Middleware<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): this {
    this.middlewares.push(fn);
    return this;
  }

  // ---- broadcasting ---------------------------------------------------------------------------

  /**
   * Turns an adapter's answer into a socket: local sockets as they are, the others (details of a
   * socket on another server) as a RemoteSocket that reaches it through the adapter.
   */
  resolveSocket = (
    details: SocketDetails,
  ): Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData> => {
    if (details instanceof Socket || details instanceof RemoteSocket) {
      return details as Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData>;
    }
    return new RemoteSocket<EmitEvents, SocketData>(details, (id) => this.broadcastOperator().to(id).single);
  };

  /** A broadcast operator over every socket of the namespace. */
  broadcastOperator(): BroadcastOperator<
    EmitEvents,
    Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData>
  > {
    return new BroadcastOperator(this.adapter, this.name, this.resolveSocket);
  }

  /** Targets the room(s). */
  to(room: Room | readonly Room[]) {
    return this.broadcastOperator().to(room);
  }

  /** Alias of `to`. */
  in(room: Room | readonly Room[]) {
    return this.broadcastOperator().in(room);
  }

  /** Every socket except those in the room(s). */
  except(room: Room | readonly Room[]) {
    return this.broadcastOperator().except(room);
  }

  /** Emits to every socket of the namespace. */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.broadcastOperator().emit(event, ...args);
  }

  /** Emits to every socket and resolves with their answers. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<SecondArg<Last<EventParams<EmitEvents, Ev>>>> {
    return this.broadcastOperator().emitWithAck(event, ...args);
  }

  /** Emits a `message` event to every socket. */
  send(...args: unknown[]): this {
    (this.broadcastOperator().emit as (ev: string, ...rest: unknown[]) => boolean)('message', ...args);
    return this;
  }

  /** Alias of `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Sets whether the broadcast is compressed. */
  compress(compress: boolean) {
    return this.broadcastOperator().compress(compress);
  }

  /** The broadcast drops its packet for clients not ready to take it. */
  get volatile() {
    return this.broadcastOperator().volatile;
  }

  /** Only sockets of this process. */
  get local() {
    return this.broadcastOperator().local;
  }

  /** Waits at most `ms` for every recipient's acknowledgement. */
  timeout(
    ms: number,
  ): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | RemoteSocket<EmitEvents, SocketData>
  > {
    return this.broadcastOperator().timeout(ms);
  }

  /** The ids of every socket of the namespace. */
  allSockets(): Promise<Set<SocketId>> {
    return this.broadcastOperator().allSockets();
  }

  /** Every socket of the namespace (local ones are `Socket` objects). */
  fetchSockets() {
    return this.broadcastOperator().fetchSockets();
  }

  /** Makes every socket join the room(s). */
  socketsJoin(room: Room | readonly Room[]): void {
    this.broadcastOperator().socketsJoin(room);
  }

  /** Makes every socket leave the room(s). */
  socketsLeave(room: Room | readonly Room[]): void {
    this.broadcastOperator().socketsLeave(room);
  }

  /** Disconnects every socket; with `close`, their whole connections. */
  disconnectSockets(close = false): void {
    this.broadcastOperator().disconnectSockets(close);
  }

  /**
   * Emits to the other server processes of a multi-server adapter; with a function as last
   * argument, it is called with `(err, responses)`: one answer per other server.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: EventParams<ServerSideEvents, Ev>
  ): boolean {
    if (RESERVED_SERVER_SIDE_EVENTS.has(event as string)) throw new Error(`"${String(event)}" is a reserved event name`);
    this.adapter.serverSideEmit([event, ...args]);
    return true;
  }

  /** Emits to the other server processes and resolves with their answers (one per server). */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, responses: unknown[]) => {
        if (err) reject(err);
        else resolve(responses as FirstArg<Last<EventParams<ServerSideEvents, Ev>>>[]);
      };
      (this.serverSideEmit as (event: Ev, ...rest: unknown[]) => boolean)(event, ...args, callback);
    });
  }

  /**
   * An adapter heard a server-side emit from another server (socket.io's name): the listeners of
   * the event on this namespace get its arguments (and, with an ack, a function to answer).
   */
  _onServerSideEmit(args: readonly unknown[]): void {
    const [event, ...rest] = args;
    if (typeof event !== 'string' || RESERVED_SERVER_SIDE_EVENTS.has(event)) return;
    this.emitEvent(event, rest);
  }

  /** socket.io's ack id counter, as socket.io-adapter takes ids from it (shared with parley's). */
  get _ids(): number {
    return this.ackIds;
  }

  set _ids(value: number) {
    this.ackIds = value;
  }

  // ---- AdapterHost ----------------------------------------------------------------------------

  recipient(id: SocketId): Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined {
    return this.sockets.get(id);
  }

  recipients(): Iterable<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.sockets.values();
  }

  nextAckId(): number {
    return this.ackIds++;
  }

  // ---- connection lifecycle -------------------------------------------------------------------

  /**
   * Runs the middlewares for a client asking to join; on success the socket is added, told its id
   * and announced with `connection`; on refusal the client gets CONNECT_ERROR with message and data.
   */
  addClient(client: SocketClient, auth: Record<string, unknown>): void {
    this.joining++;
    const { pid, offset } = auth;
    if (this.recovery && typeof pid === 'string' && typeof offset === 'string') {
      this.recover(client, auth, pid, offset);
      return;
    }
    this.runMiddlewares(new Socket(this, client, auth), client);
  }

  /**
   * A client that sent `{pid, offset}`: its socket comes back with its session when the adapter
   * still has it whole (skipping the middlewares when skipMiddlewares), else it starts over.
   */
  private recover(client: SocketClient, auth: Record<string, unknown>, pid: string, offset: string): void {
    const recovery = this.recovery;
    if (!recovery) return;
    const restoring = (async () => this.adapter.restoreSession?.(pid, offset) ?? null)();
    restoring
      .catch((): null => null)
      .then((session: Session | null) => {
        if (client.closed) {
          this.letGo();
          return;
        }
        // A session whose socket is somehow connected again is not handed out twice.
        const usable = session && !this.sockets.has(session.sid) ? session : undefined;
        const socket = new Socket(this, client, auth, usable);
        if (usable && recovery.skipMiddlewares) this.letIn(socket, client);
        else this.runMiddlewares(socket, client);
      })
      .catch((err: unknown) => {
        // Thrown by the application's code (a connection listener): as uncaught as it would be in sync code.
        queueMicrotask(() => {
          throw err;
        });
      });
  }

  private runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: SocketClient,
  ): void {
    const middlewares = this.middlewares.slice();
    let index = 0;
    const next = (err?: ConnectError) => {
      // As socket.io: a connection closed (or closing) while the middlewares ran is let go.
      if (!client.open) {
        this.letGo();
        return;
      }
      if (err) {
        this.letGo();
        client.refuse(this.name, err);
        return;
      }
      const fn = middlewares[index++];
      if (!fn) {
        this.letIn(socket, client);
        return;
      }
      // A middleware that throws or rejects has a bug, not a refusal to give: the application
      // sees it on stderr, and the client a refusal that tells it nothing of the server's code.
      callMiddleware(fn, socket, next, (thrown, once) => {
        console.error(`parley: a middleware of namespace "${this.name}" failed:`, thrown);
        once(new Error(MIDDLEWARE_FAILED));
      });
    };
    next();
  }

  /** A client that asked to join was refused, or left before it was let in. */
  private letGo(): void {
    this.joining--;
    this.released();
  }

  /** A client that asked to join is let in. */
  private letIn(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: SocketClient,
  ): void {
    this.joining--;
    this.admit(socket, client);
  }

  /**
   * Called when a client that asked to join was not let in after all; a dynamic child overrides
   * it to go away once nobody is in it nor on the way (cleanupEmptyChildNamespaces).
   */
  protected released(): void {}

  private admit(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: SocketClient,
  ): void {
    this.sockets.set(socket.id, socket);
    client.addSocket(socket);
    socket.onConnect();
    this.emitEvent('connect', [socket]);
    this.emitEvent('connection', [socket]);
  }

  /** The server created a namespace: the main namespace tells its `new_namespace` listeners. */
  announceNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.emitEvent('new_namespace', [nsp]);
  }

  /** Forgets a socket that left. */
  removeSocket(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.delete(socket.id);
  }
}
