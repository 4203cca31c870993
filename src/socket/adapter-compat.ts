/**
 * Types only: socket.io-adapter's `Adapter` (4.8) as parley's option and `io.adapter()` accept it,
 * so an application's subclass of it (or a factory returning one, as `createAdapter()` of the
 * Redis adapter does) type-checks unchanged. Described by shape: parley does not depend on
 * socket.io-adapter. At run time such an adapter is driven through a bridge to parley's own
 * {@link Adapter} interface (adapter-bridge.ts; README, "Scale-out").
 */
import type { Adapter, AdapterConstructor, Room, SocketId } from './adapter.js';
import type { Namespace } from './namespace.js';

/** The members that make an object socket.io-adapter's `Adapter` (its other members are not read). */
export interface SocketIoAdapterShape {
  rooms: Map<Room, Set<SocketId>>;
  sids: Map<SocketId, Set<Room>>;
  init(): Promise<void> | void;
  close(): Promise<void> | void;
  serverCount(): Promise<number>;
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void;
  del(id: SocketId, room: Room): Promise<void> | void;
  delAll(id: SocketId): void;
  broadcast(packet: unknown, opts: { rooms: Set<Room>; except?: Set<Room> }): void;
  sockets(rooms: Set<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): Set<Room> | undefined;
  serverSideEmit(packet: unknown[]): void;
  persistSession(session: unknown): void;
  restoreSession(pid: string, offset: string): Promise<unknown>;
}

/** What the `adapter` option and `io.adapter(...)` take: parley's adapters, or socket.io-adapter's as socket.io types them. */
export type AnyAdapterConstructor =
  | AdapterConstructor
  | (new (nsp: never) => SocketIoAdapterShape)
  | ((nsp: Namespace) => SocketIoAdapterShape | Adapter);
