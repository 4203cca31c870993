/**
 * How the in-memory adapter stores rooms: each socket's rooms as a compact {@link Membership}, and
 * the read-only views (`adapter.sids`, `adapter.rooms`) that show them as socket.io's maps.
 */
import { type InspectOptionsStylized, inspect } from 'node:util';
import type { Room, SocketId } from './adapter.js';

/**
 * A read-only Map view: what a subclass can get, has, size and entries, the rest derived from them.
 * `adapter.rooms` and `adapter.sids` read as socket.io's maps while the adapter stores less.
 */
abstract class MapView<K, V> implements ReadonlyMap<K, V> {
  abstract get(key: K): V | undefined;
  abstract has(key: K): boolean;
  abstract get size(): number;
  abstract entries(): MapIterator<[K, V]>;

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  /** `console.log(adapter.rooms)` prints the rooms as socket.io's Map would, not the storage. */
  [inspect.custom](_depth: number, options: InspectOptionsStylized, show: typeof inspect): string {
    return show(new Map(this.entries()), options);
  }
}

/** A socket that is in its own room and no other. */
const OWN_ONLY: unique symbol = Symbol('parley.ownRoomOnly');

/**
 * The rooms of one socket, stored compactly: most sockets are in their own room and at most one
 * other, which needs no Set (measured: ~0.4-0.5 KB per connection of RSS at 10,000, bench/
 * OPTIMIZATIONS.md). OWN_ONLY: {id}; a room name r: {id, r}; otherwise a Set of them all.
 */
export type Membership = typeof OWN_ONLY | Room | Set<Room>;

export function expand(id: SocketId, membership: Membership): Set<Room> {
  if (membership === OWN_ONLY) return new Set([id]);
  if (typeof membership === 'string') return new Set([id, membership]);
  return membership;
}

export function withRoom(id: SocketId, membership: Membership | undefined, room: Room): Membership {
  if (membership === undefined) return room === id ? OWN_ONLY : new Set([room]);
  if (membership === OWN_ONLY) return room === id ? OWN_ONLY : room;
  if (typeof membership === 'string') {
    return room === id || room === membership ? membership : new Set([id, membership, room]);
  }
  membership.add(room);
  return membership;
}

export function withoutRoom(id: SocketId, membership: Membership, room: Room): Membership {
  if (membership === OWN_ONLY) return room === id ? new Set() : OWN_ONLY;
  if (typeof membership === 'string') {
    if (room === id) return new Set([membership]);
    return room === membership ? OWN_ONLY : membership;
  }
  membership.delete(room);
  return membership;
}

/** Whether a membership includes the socket's own room. */
export function inOwnRoom(id: SocketId, membership: Membership | undefined): boolean {
  if (membership === undefined) return false;
  return membership === OWN_ONLY || typeof membership === 'string' || membership.has(id);
}

/** `adapter.sids` as socket.io shows it: each socket with the Set of its rooms (compact ones expanded). */
export class SidsView extends MapView<SocketId, ReadonlySet<Room>> {
  constructor(private readonly memberships: ReadonlyMap<SocketId, Membership>) {
    super();
  }

  get(id: SocketId): Set<Room> | undefined {
    const membership = this.memberships.get(id);
    return membership === undefined ? undefined : expand(id, membership);
  }

  has(id: SocketId): boolean {
    return this.memberships.has(id);
  }

  get size(): number {
    return this.memberships.size;
  }

  *entries(): MapIterator<[SocketId, ReadonlySet<Room>]> {
    for (const [id, membership] of this.memberships) yield [id, expand(id, membership)];
  }
}

/**
 * `adapter.rooms` as socket.io shows it: every room with its members, including the room named by
 * each socket's id, which is derived from the socket's membership instead of stored (a one-member
 * Set and a map entry less per socket). A derived room reads as a fresh Set; size is O(sockets).
 */
export class RoomsView extends MapView<Room, ReadonlySet<SocketId>> {
  constructor(
    private readonly joined: ReadonlyMap<Room, Set<SocketId>>,
    private readonly memberships: ReadonlyMap<SocketId, Membership>,
  ) {
    super();
  }

  get(room: Room): ReadonlySet<SocketId> | undefined {
    const members = this.joined.get(room);
    if (!inOwnRoom(room, this.memberships.get(room))) return members;
    return members === undefined ? new Set([room]) : new Set([room, ...members]);
  }

  has(room: Room): boolean {
    return this.joined.has(room) || inOwnRoom(room, this.memberships.get(room));
  }

  get size(): number {
    let size = this.joined.size;
    for (const [id, membership] of this.memberships)
      if (inOwnRoom(id, membership) && !this.joined.has(id)) size++;
    return size;
  }

  *entries(): MapIterator<[Room, ReadonlySet<SocketId>]> {
    for (const room of this.joined.keys()) yield [room, this.get(room)!];
    for (const [id, membership] of this.memberships) {
      if (inOwnRoom(id, membership) && !this.joined.has(id)) yield [id, new Set([id])];
    }
  }
}
