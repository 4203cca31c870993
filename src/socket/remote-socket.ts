import type { Room, SocketDetails, SocketId } from './adapter.js';
import type { BroadcastOperator } from './broadcast.js';
import type { Handshake } from './types.js';
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from './typed-events.js';

/** A socket of another server process as an adapter's `fetchSockets` reports it (rooms as a list or a Set). */
export interface RemoteSocketDetails {
  id: SocketId;
  handshake: unknown;
  rooms: Iterable<Room>;
  data: unknown;
}

/**
 * What `fetchSockets()` returns for a socket of another server process (socket.io's RemoteSocket):
 * a snapshot of its id, handshake, rooms and data, and operations that reach it through the
 * adapter (a broadcast to its own room).
 */
// biome-ignore lint/suspicious/noExplicitAny: socket.io's default (see Server)
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> implements SocketDetails {
  readonly id: SocketId;
  readonly handshake: Handshake;
  rooms: Set<Room>;
  data: SocketData;
  private readonly operator: BroadcastOperator<EmitEvents, unknown>;

  constructor(details: RemoteSocketDetails, operatorFor: (id: SocketId) => BroadcastOperator<EmitEvents, unknown>) {
    this.id = details.id;
    this.handshake = details.handshake as Handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
    this.operator = operatorFor(details.id);
  }

  /** Emits to this socket, wherever it is connected. */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator.emit(event, ...args);
  }

  /** An operator with a timeout for the next emit's acknowledgement. */
  timeout(ms: number) {
    return this.operator.timeout(ms);
  }

  /** Makes the socket join the room(s). */
  join(room: Room | readonly Room[]): void {
    this.operator.socketsJoin(room);
  }

  /** Makes the socket leave the room(s). */
  leave(room: Room | readonly Room[]): void {
    this.operator.socketsLeave(room);
  }

  /** Disconnects the socket; with `close`, its whole connection. */
  disconnect(close = false): this {
    this.operator.disconnectSockets(close);
    return this;
  }
}
