import type {
  Adapter,
  AdapterConstructor,
  BroadcastOptions,
  Room,
  SocketDetails,
  SocketId,
} from './adapter.js';
import { Namespace } from './namespace.js';
import type { Packet } from './packet.js';
import type { Server } from './server.js';
import type { Socket } from './socket.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';

/** Decides whether a namespace name may be created under a dynamic namespace. */
export type NamespaceMatcher =
  | RegExp
  | ((
      name: string,
      auth: Record<string, unknown>,
      next: (err: Error | null, allow: boolean) => void,
    ) => void);

/**
 * Namespaces that share one parent: a broadcast on the parent reaches every child. The parent has
 * no sockets of its own; its rooms and sids are those of its children, merged (fresh maps on each
 * read: socket ids are unique across namespaces, room names may repeat and are then joined).
 */
class ChildrenAdapter implements Adapter {
  constructor(private readonly children: ReadonlySet<Namespace<EventsMap, EventsMap, EventsMap, unknown>>) {}

  get rooms(): Map<Room, Set<SocketId>> {
    const merged = new Map<Room, Set<SocketId>>();
    for (const child of this.children) {
      for (const [room, members] of child.adapter.rooms) {
        const into = merged.get(room);
        if (into === undefined) merged.set(room, new Set(members));
        else for (const id of members) into.add(id);
      }
    }
    return merged;
  }

  get sids(): Map<SocketId, Set<Room>> {
    const merged = new Map<SocketId, Set<Room>>();
    for (const child of this.children) {
      for (const [id, rooms] of child.adapter.sids) merged.set(id, new Set(rooms));
    }
    return merged;
  }

  init(): void {}
  close(): void {}
  addAll(): void {}
  del(): void {}
  delAll(): void {}

  broadcast(packet: Packet, options: BroadcastOptions): void {
    for (const child of this.children)
      child.adapter.broadcast({ ...packet, nsp: child.name } as Packet, options);
  }

  broadcastWithAck(
    packet: Packet & { type: 'event' },
    options: BroadcastOptions,
    onRecipientCount: (count: number) => void,
    onAck: (err: Error | null, args: unknown[]) => void,
  ): () => void {
    let total = 0;
    const cancels: (() => void)[] = [];
    for (const child of this.children) {
      cancels.push(
        child.adapter.broadcastWithAck({ ...packet, nsp: child.name }, options, (n) => (total += n), onAck),
      );
    }
    onRecipientCount(total);
    return () => {
      for (const cancel of cancels) cancel();
    };
  }

  async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const all = new Set<SocketId>();
    for (const child of this.children) for (const id of await child.adapter.sockets(rooms)) all.add(id);
    return all;
  }

  socketRooms(id: SocketId): Set<Room> | undefined {
    for (const child of this.children) {
      const rooms = child.adapter.socketRooms(id);
      if (rooms !== undefined) return rooms;
    }
    return undefined;
  }

  async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    const all: SocketDetails[] = [];
    for (const child of this.children) all.push(...(await child.adapter.fetchSockets(options)));
    return all;
  }

  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.children) child.adapter.addSockets(options, rooms);
  }

  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.children) child.adapter.delSockets(options, rooms);
  }

  disconnectSockets(options: BroadcastOptions, close: boolean): void {
    for (const child of this.children) child.adapter.disconnectSockets(options, close);
  }

  serverSideEmit(): void {}
}

let parentCount = 0;

/** A dynamic namespace's child that tells its parent when its last socket has left. */
class ChildNamespace<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  private gone = false;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    adapterConstructor: AdapterConstructor,
    private readonly onEmpty: (child: ChildNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ) {
    super(server, name, adapterConstructor);
  }

  /**
   * Its last socket left: gone, as on socket.io. Clients still in the middlewares do not hold it,
   * so a middleware that never answers cannot keep the child for ever.
   */
  override removeSocket(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    super.removeSocket(socket);
    if (this.sockets.size === 0) this.goAway();
  }

  /** A client was refused (or left during the middlewares): gone if nobody is in it nor on the way in. */
  protected override released(): void {
    if (this.sockets.size === 0 && this.joining === 0) this.goAway();
  }

  private goAway(): void {
    if (this.gone) return;
    this.gone = true;
    this.onEmpty(this);
  }
}

/**
 * A dynamic namespace (`io.of(/^\/room-\d+$/)`): matching names become child namespaces that
 * inherit its middlewares and connection listeners.
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default (see Server)
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The namespaces created under this one. */
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  private readonly childAdapter: AdapterConstructor;
  /**
   * With `cleanupEmptyChildNamespaces`: forgets a child whose last socket left, so the next
   * connection to its name creates it again (socket.io's trigger: a socket's removal).
   */
  private readonly removeChild:
    | ((child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void)
    | undefined;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    adapterConstructor: AdapterConstructor,
    removeChild?: (child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ) {
    super(server, `/_${parentCount++}`);
    this.childAdapter = adapterConstructor;
    this.removeChild = removeChild;
    this.adapter = new ChildrenAdapter(
      this.children as unknown as Set<Namespace<EventsMap, EventsMap, EventsMap, unknown>>,
    );
  }

  /** Creates the child namespace `name`, with this namespace's middlewares and listeners. */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const removeChild = this.removeChild;
    const child =
      removeChild === undefined
        ? new Namespace(this.server, name, this.childAdapter)
        : new ChildNamespace(this.server, name, this.childAdapter, (empty) => {
            this.children.delete(empty);
            // As socket.io, the adapter is closed without waiting; a failure there is the adapter's to report.
            Promise.resolve(empty.adapter.close()).catch(() => {});
            removeChild(empty);
          });
    for (const fn of this.middlewares) child.use(fn);
    for (const listener of this.listeners('connect')) child.on('connect', listener);
    for (const listener of this.listeners('connection')) child.on('connection', listener);
    this.children.add(child);
    return child;
  }
}
