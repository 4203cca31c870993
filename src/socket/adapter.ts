import { EventEmitter } from 'node:events';
import { OutboundMessage } from '../engine/index.js';
import { EncodeError } from './encode-error.js';
import { expand, inOwnRoom, type Membership, RoomsView, SidsView, withoutRoom, withRoom } from './memberships.js';
import { assemblePacket, type Packet, type PreparedPacket, preparePacket } from './packet.js';
import type { ConnectionStateRecoveryOptions, Offset, PrivateSessionId, Session, SessionToPersist } from './recovery.js';

/** A socket id. Every socket is in the room named by its id. */
export type SocketId = string;
/** A room name. */
export type Room = string;

/** Flags of one broadcast. */
export interface BroadcastFlags {
  /** Drop the packet for recipients that cannot take it right now. */
  volatile?: boolean;
  /** Ask the transport to compress. */
  compress?: boolean;
  /** Only sockets of this server process (matters with a multi-node adapter). */
  local?: boolean;
  /** How long to wait for acknowledgements, in ms. */
  timeout?: number;
  /**
   * The broadcast targets one socket (a RemoteSocket's emit): its ack callback gets that socket's
   * answer, not a list (socket.io's flag of the same name).
   */
  expectSingleResponse?: boolean;
}

/** Who a broadcast reaches: sockets in any of `rooms` (every socket when empty), minus those in `except`. */
export interface BroadcastOptions {
  rooms: ReadonlySet<Room>;
  except?: ReadonlySet<Room>;
  flags?: BroadcastFlags;
}

/**
 * A way to put packets on a wire (Socket.IO over Engine.IO, or parley's plain-WebSocket JSON).
 * Broadcasts encode once per format, however many recipients use it. A format only assembles a
 * packet whose payload is encoded already (`preparePacket`), so it cannot fail.
 */
export interface WireFormat {
  readonly name: string;
  encode(prepared: PreparedPacket): readonly OutboundMessage[];
}

/** The Socket.IO v5 format over Engine.IO: a text message plus one binary message per attachment. */
export const socketIoFormat: WireFormat = {
  name: 'socket.io',
  encode(prepared) {
    return assemblePacket(prepared).map((part) => new OutboundMessage(part));
  },
};

/**
 * A packet encoded at most once per wire format, and shared by every recipient of a broadcast: the
 * per-recipient cost is a cache lookup and a queue push. The payload is encoded when the packet is
 * built, once for all formats, so a payload that cannot be encoded throws an `EncodeError` to
 * whoever emits it, before anything is sent to anyone.
 */
export class EncodedPacket {
  readonly packet: Packet;
  private readonly prepared: PreparedPacket;
  private firstFormat: WireFormat | undefined;
  private firstEncoding: readonly OutboundMessage[] | undefined;
  private otherEncodings: Map<WireFormat, readonly OutboundMessage[]> | undefined;

  /** @throws EncodeError when the payload is circular, too deeply nested or not JSON. */
  constructor(packet: Packet) {
    const prepared = preparePacket(packet);
    if (!prepared.ok) throw new EncodeError(prepared.error);
    this.packet = packet;
    this.prepared = prepared.value;
  }

  /** The size of the encoded payload (JSON text and binary attachments), as kept by recovery. */
  get payloadBytes(): number {
    let bytes = this.prepared.json?.length ?? 0;
    for (const buffer of this.prepared.buffers) bytes += buffer.length;
    return bytes;
  }

  /** The messages carrying this packet in the given format. */
  in(format: WireFormat): readonly OutboundMessage[] {
    if (this.firstFormat === format) return this.firstEncoding!;
    if (this.firstFormat === undefined) {
      this.firstFormat = format;
      this.firstEncoding = format.encode(this.prepared);
      return this.firstEncoding;
    }
    this.otherEncodings ??= new Map();
    let encoding = this.otherEncodings.get(format);
    if (!encoding) {
      encoding = format.encode(this.prepared);
      this.otherEncodings.set(format, encoding);
    }
    return encoding;
  }
}

/** What a broadcast sees of a socket: its id and a way to hand it an encoded packet. */
export interface Recipient {
  readonly id: SocketId;
  /** Delivers a packet encoded once for all recipients. */
  deliver(encoded: EncodedPacket, flags: BroadcastFlags): void;
}

/** What a broadcast-with-ack sees of a socket: it can also wait for the answer. */
export interface AckRecipient extends Recipient {
  expectAck(id: number, callback: (err: Error | null, args: unknown[]) => void): void;
  cancelAck(id: number): void;
  /** How many acks of its client are awaited. */
  readonly awaitedAcks: number;
}

/** What an adapter sees of a socket of its own process: it can also be moved between rooms and closed. */
export interface LocalSocket extends AckRecipient, SocketDetails {
  join(rooms: Room | readonly Room[]): void;
  leave(room: Room): void;
  disconnect(close?: boolean): void;
}

/** What an adapter sees of its namespace. */
export interface AdapterHost {
  readonly name: string;
  /** The local socket with this id, if connected. */
  recipient(id: SocketId): LocalSocket | undefined;
  /** Every local socket. */
  recipients(): Iterable<LocalSocket>;
  /** A fresh ack id, unique in the namespace, so one broadcast can share it across sockets. */
  nextAckId(): number;
  /** The server's `connectionStateRecovery` options (defaults applied), or false when it is off. */
  readonly recovery?: Readonly<ConnectionStateRecoveryOptions> | false;
}

/** A socket as seen by `fetchSockets`: its identity, rooms and data, and remote operations. */
export interface SocketDetails {
  readonly id: SocketId;
  rooms: Set<Room>;
  data: unknown;
  handshake: unknown;
}

/**
 * Keeps room membership and delivers broadcasts for one namespace. The in-memory adapter serves a
 * single process; a Redis adapter implements the same interface across processes.
 */
export interface Adapter {
  /** Every room with its members, each socket's own room included (read-only). */
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  /** Each socket with its rooms (read-only). */
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  init(): Promise<void> | void;
  close(): Promise<void> | void;
  addAll(id: SocketId, rooms: Iterable<Room>): void;
  del(id: SocketId, room: Room): void;
  delAll(id: SocketId): void;
  /** Delivers a packet; @throws EncodeError, before delivering to anyone, when it cannot be encoded. */
  broadcast(packet: Packet, options: BroadcastOptions): void;
  /** Delivers a packet and collects the answers; @throws EncodeError like `broadcast`. */
  broadcastWithAck(
    packet: Packet & { type: 'event' },
    options: BroadcastOptions,
    onRecipientCount: (count: number) => void,
    onAck: (err: Error | null, args: unknown[]) => void,
  ): () => void;
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): Set<Room> | undefined;
  /** The sockets (local ones as they are, remote ones as details) a broadcast with these options reaches. */
  fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]>;
  /** Makes the matching sockets join rooms. */
  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void;
  /** Makes the matching sockets leave rooms. */
  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void;
  /** Disconnects the matching sockets, closing their connections when `close`. */
  disconnectSockets(options: BroadcastOptions, close: boolean): void;
  /** Emits to the other server processes; the in-memory adapter has none. */
  serverSideEmit(args: readonly unknown[]): void;
  /**
   * Keeps the session of a socket that dropped, for connection state recovery (socket.io-adapter's
   * name and shape); an adapter without recovery ignores it.
   */
  persistSession?(session: SessionToPersist): void | Promise<void>;
  /**
   * The session of `pid` with the events sent to it after `offset`, or null when it cannot be
   * recovered whole (socket.io-adapter's name and shape).
   */
  restoreSession?(pid: PrivateSessionId, offset: Offset): Session | null | Promise<Session | null>;
}

/** The events of the in-memory adapter, with socket.io-adapter's names and arguments. */
export interface AdapterEvents {
  /** A room got its first member (a socket's own room too). */
  'create-room': [room: Room];
  /** A socket joined a room (its own room too). */
  'join-room': [room: Room, id: SocketId];
  /** A socket left a room. */
  'leave-room': [room: Room, id: SocketId];
  /** A room lost its last member. */
  'delete-room': [room: Room];
}

/**
 * Single-process adapter: rooms in two maps, broadcasts encoded once and handed to each recipient.
 * It emits socket.io-adapter's room events ({@link AdapterEvents}; @socket.io/admin-ui listens to
 * them); while nobody listens, joins and leaves do no work for them.
 */
export class InMemoryAdapter extends EventEmitter<AdapterEvents> implements Adapter {
  /** Each socket's rooms, compactly. */
  private readonly memberships = new Map<SocketId, Membership>();
  /** The rooms sockets joined (not their own rooms), with their members. */
  private readonly joined = new Map<Room, Set<SocketId>>();
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>> = new SidsView(this.memberships);
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>> = new RoomsView(this.joined, this.memberships);
  protected readonly host: AdapterHost;
  /** Whether a room event has (had) a listener: joins and leaves then tell. */
  private observed = false;

  constructor(host: AdapterHost) {
    super();
    this.host = host;
    (this as EventEmitter).once('newListener', () => {
      this.observed = true;
    });
  }

  init(): void {}

  close(): void {}

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    let membership = this.memberships.get(id);
    for (const room of rooms) {
      const joining = this.observed && !this.isMember(id, membership, room);
      const created = joining && !this.rooms.has(room);
      membership = withRoom(id, membership, room);
      // A socket's own room is derived from its membership (see RoomsView).
      if (room !== id) {
        let members = this.joined.get(room);
        if (!members) {
          members = new Set();
          this.joined.set(room, members);
        }
        members.add(id);
      }
      if (joining) {
        // Stored first: listeners read the rooms as they are now.
        this.memberships.set(id, membership);
        if (created) this.emit('create-room', room);
        this.emit('join-room', room, id);
      }
    }
    this.memberships.set(id, membership ?? new Set());
  }

  del(id: SocketId, room: Room): void {
    const membership = this.memberships.get(id);
    const leaving = this.observed && this.isMember(id, membership, room);
    if (membership !== undefined) this.memberships.set(id, withoutRoom(id, membership, room));
    if (room !== id) this.leaveJoined(id, room);
    if (leaving) this.left(room, id);
  }

  delAll(id: SocketId): void {
    const membership = this.memberships.get(id);
    if (membership === undefined) return;
    const rooms = expand(id, membership);
    for (const room of rooms) if (room !== id) this.leaveJoined(id, room);
    this.memberships.delete(id);
    if (this.observed) for (const room of rooms) this.left(room, id);
  }

  /** Whether `id` is in `room`, `membership` being its rooms. */
  private isMember(id: SocketId, membership: Membership | undefined, room: Room): boolean {
    if (membership === undefined) return false;
    return room === id ? inOwnRoom(id, membership) : this.joined.get(room)?.has(id) === true;
  }

  /** Tells listeners `id` left `room`, and that the room is gone if it is. */
  private left(room: Room, id: SocketId): void {
    this.emit('leave-room', room, id);
    if (!this.rooms.has(room)) this.emit('delete-room', room);
  }

  private leaveJoined(id: SocketId, room: Room): void {
    const members = this.joined.get(room);
    if (members) {
      members.delete(id);
      if (members.size === 0) this.joined.delete(room);
    }
  }

  /** Calls `visit` with each member of a room: the joined ones, and the socket whose own room it is. */
  private forEachMember(room: Room, visit: (id: SocketId) => void): void {
    if (inOwnRoom(room, this.memberships.get(room))) visit(room);
    const members = this.joined.get(room);
    if (members) for (const id of members) visit(id);
  }

  broadcast(packet: Packet, options: BroadcastOptions): void {
    this.deliverEncoded(new EncodedPacket(packet), options);
  }

  /** Hands a packet encoded once to every matching local socket. */
  protected deliverEncoded(encoded: EncodedPacket, options: BroadcastOptions): void {
    const flags = options.flags ?? {};
    this.forEachRecipient(options, (recipient) => recipient.deliver(encoded, flags));
  }

  /** This adapter keeps no session (SessionAwareAdapter does). */
  persistSession(_session: SessionToPersist): void {}

  /** This adapter keeps no session: nothing to restore. */
  restoreSession(_pid: PrivateSessionId, _offset: Offset): Promise<Session | null> {
    return Promise.resolve(null);
  }

  broadcastWithAck(
    packet: Packet & { type: 'event' },
    options: BroadcastOptions,
    onRecipientCount: (count: number) => void,
    onAck: (err: Error | null, args: unknown[]) => void,
  ): () => void {
    const id = this.host.nextAckId();
    const encoded = new EncodedPacket({ ...packet, id });
    const flags = options.flags ?? {};
    const waiting: LocalSocket[] = [];
    this.forEachRecipient(options, (recipient) => {
      waiting.push(recipient);
      recipient.expectAck(id, onAck);
      recipient.deliver(encoded, flags);
    });
    onRecipientCount(waiting.length);
    // Called once the broadcast is answered or timed out: sockets that never answered forget the id.
    return () => {
      for (const recipient of waiting) recipient.cancelAck(id);
    };
  }

  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    return Promise.resolve(this.matchingIds({ rooms }));
  }

  socketRooms(id: SocketId): Set<Room> | undefined {
    const membership = this.memberships.get(id);
    return membership === undefined ? undefined : expand(id, membership);
  }

  fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    return Promise.resolve(this.localSockets(options));
  }

  // The next three collect first, then act: acting changes the very rooms being walked.
  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.localSockets(options)) socket.join(rooms);
  }

  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.localSockets(options)) for (const room of rooms) socket.leave(room);
  }

  disconnectSockets(options: BroadcastOptions, close: boolean): void {
    for (const socket of this.localSockets(options)) socket.disconnect(close);
  }

  serverSideEmit(_args: readonly unknown[]): void {
    // A single process has no other servers to reach.
  }

  /** How many servers share the namespace: this one (socket.io-adapter's in-memory answer). */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  private matchingIds(options: BroadcastOptions): Set<SocketId> {
    const ids = new Set<SocketId>();
    this.forEachRecipient(options, (recipient) => ids.add(recipient.id));
    return ids;
  }

  private localSockets(options: BroadcastOptions): LocalSocket[] {
    const found: LocalSocket[] = [];
    this.forEachRecipient(options, (socket) => found.push(socket));
    return found;
  }

  /** Visits each matching local socket once, even when it is in several of the rooms. */
  protected forEachRecipient(options: BroadcastOptions, visit: (recipient: LocalSocket) => void): void {
    const except = this.excludedIds(options.except);
    if (options.rooms.size === 0) {
      for (const recipient of this.host.recipients()) {
        if (!except?.has(recipient.id)) visit(recipient);
      }
      return;
    }
    // One room: a socket appears once in it (a joined room never lists its own-room socket).
    const seen = options.rooms.size === 1 ? undefined : new Set<SocketId>();
    const host = this.host;
    const reach = (id: SocketId): void => {
      if (seen) {
        if (seen.has(id)) return;
        seen.add(id);
      }
      if (except?.has(id)) return;
      const recipient = host.recipient(id);
      if (recipient) visit(recipient);
    };
    for (const room of options.rooms) this.forEachMember(room, reach);
  }

  private excludedIds(except: ReadonlySet<Room> | undefined): Set<SocketId> | undefined {
    if (!except || except.size === 0) return undefined;
    const ids = new Set<SocketId>();
    const add = (id: SocketId): void => {
      ids.add(id);
    };
    for (const room of except) this.forEachMember(room, add);
    return ids;
  }
}

/** Builds the adapter of a namespace; pass one as the `adapter` server option to replace the default. */
export type AdapterConstructor = new (host: AdapterHost) => Adapter;
