import type { Adapter, BroadcastFlags, Room, SocketDetails, SocketId } from './adapter.js';
import { RESERVED_EVENTS } from './packet.js';
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

/** The error an ack callback or `emitWithAck` gets when the timeout passes first. */
export function ackTimeoutError(): Error {
  return new Error('operation has timed out');
}

/** Throws when the application tries to emit an event name the protocol reserves (as socket.io does). */
export function assertEmittable(event: string | symbol): void {
  if (typeof event === 'string' && RESERVED_EVENTS.has(event)) {
    throw new Error(`"${event}" is a reserved event name`);
  }
}

/** Turns what an adapter found into what `fetchSockets` returns (local sockets as they are). */
export type SocketResolver<Remote> = (details: SocketDetails) => Remote;

/**
 * An immutable selection of sockets (`to`, `in`, `except`) with flags (`volatile`, `compress`,
 * `local`, `timeout`). Every operator returns a new one; `emit` encodes the packet once for all.
 */
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, Remote = SocketDetails> {
  constructor(
    private readonly adapter: Adapter,
    private readonly nspName: string,
    private readonly resolve: SocketResolver<Remote>,
    private readonly rooms: ReadonlySet<Room> = new Set(),
    private readonly exceptRooms: ReadonlySet<Room> = new Set(),
    private readonly flags: Readonly<BroadcastFlags> = {},
  ) {}

  private with(
    rooms: ReadonlySet<Room>,
    exceptRooms: ReadonlySet<Room>,
    flags: Readonly<BroadcastFlags>,
  ): BroadcastOperator<EmitEvents, Remote> {
    return new BroadcastOperator(this.adapter, this.nspName, this.resolve, rooms, exceptRooms, flags);
  }

  /** Targets sockets in the room(s), in addition to those already targeted. */
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, Remote> {
    const rooms = new Set(this.rooms);
    for (const r of typeof room === 'string' ? [room] : room) rooms.add(r);
    return this.with(rooms, this.exceptRooms, this.flags);
  }

  /** Alias of `to`. */
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, Remote> {
    return this.to(room);
  }

  /** Excludes sockets in the room(s). */
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, Remote> {
    const except = new Set(this.exceptRooms);
    for (const r of typeof room === 'string' ? [room] : room) except.add(r);
    return this.with(this.rooms, except, this.flags);
  }

  /** Sets whether the packet should be compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, Remote> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  /** Drops the packet for recipients that are not ready to take it. */
  get volatile(): BroadcastOperator<EmitEvents, Remote> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  /** @internal One socket is targeted: an ack callback gets its answer alone (RemoteSocket's operator). */
  get single(): BroadcastOperator<EmitEvents, Remote> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, expectSingleResponse: true });
  }

  /** Only sockets of this process (relevant with a multi-server adapter). */
  get local(): BroadcastOperator<EmitEvents, Remote> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, local: true });
  }

  /** Waits at most `ms` for acknowledgements; the ack callback gets `(err, responses)`. */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, Remote> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, timeout: ms }) as BroadcastOperator<
      DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
      Remote
    >;
  }

  private options() {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  /**
   * Emits to every selected socket. With a function as last argument, collects one answer per
   * recipient and calls it with `(err, responses)` when all answered or the timeout passed.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    assertEmittable(event);
    const data: unknown[] = [event, ...args];
    const last = data[data.length - 1];
    if (typeof last !== 'function') {
      this.adapter.broadcast({ type: 'event', nsp: this.nspName, data }, this.options());
      return true;
    }
    data.pop();
    const callback = last as (err: Error | null, responses: unknown[]) => void;
    const responses: unknown[] = [];
    let expected: number | undefined;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    // Set once the adapter returns; a broadcast with no recipient finishes before that.
    let cancel: (() => void) | undefined;
    const single = this.flags.expectSingleResponse === true;
    const finish = (err: Error | null) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      cancel?.();
      if (single) (callback as (err: Error | null, response: unknown) => void)(err, err ? null : responses[0]);
      else callback(err, responses);
    };
    cancel = this.adapter.broadcastWithAck(
      { type: 'event', nsp: this.nspName, data },
      this.options(),
      (count) => {
        expected = (expected ?? 0) + count;
        if (responses.length >= expected) finish(null);
      },
      (err, answer) => {
        if (finished || err) return;
        responses.push(answer[0]);
        if (expected !== undefined && responses.length >= expected) finish(null);
      },
    );
    if (!finished && this.flags.timeout !== undefined) {
      timer = setTimeout(() => finish(ackTimeoutError()), this.flags.timeout);
    }
    return true;
  }

  /**
   * Emits and resolves with every recipient's answer; when the timeout passes first, rejects with
   * an error whose `responses` holds the answers that did arrive (as socket.io).
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<SecondArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, responses: unknown[]) => {
        if (err) reject(Object.assign(err, { responses }));
        else resolve(responses as SecondArg<Last<EventParams<EmitEvents, Ev>>>);
      };
      (this.emit as (event: Ev, ...rest: unknown[]) => boolean)(event, ...args, callback);
    });
  }

  /**
   * The ids of the sockets in the selected rooms (every socket without `to`/`in`). As socket.io's,
   * `except` is not applied; `fetchSockets()` is the fuller form.
   */
  allSockets(): Promise<Set<SocketId>> {
    return this.adapter.sockets(this.rooms);
  }

  /** The selected sockets: local ones are the `Socket` objects themselves. */
  async fetchSockets(): Promise<Remote[]> {
    const found = await this.adapter.fetchSockets(this.options());
    return found.map(this.resolve);
  }

  /** Makes the selected sockets join the room(s). */
  socketsJoin(room: Room | readonly Room[]): void {
    this.adapter.addSockets(this.options(), typeof room === 'string' ? [room] : room);
  }

  /** Makes the selected sockets leave the room(s). */
  socketsLeave(room: Room | readonly Room[]): void {
    this.adapter.delSockets(this.options(), typeof room === 'string' ? [room] : room);
  }

  /** Disconnects the selected sockets; with `close`, their whole connections. */
  disconnectSockets(close = false): void {
    this.adapter.disconnectSockets(this.options(), close);
  }
}

/** The second argument of a function type (the responses of a decorated broadcast ack). */
export type SecondArg<T> = T extends (a: never, b: infer B, ...rest: never[]) => unknown ? B : unknown;

export type { FirstArg };
