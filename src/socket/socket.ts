import { type HandshakeRequest, randomId } from '../engine/index.js';
import type { BroadcastFlags, EncodedPacket, LocalSocket, Room, SocketId } from './adapter.js';
import { EncodedPacket as Encoded } from './adapter.js';
import { AwaitedAcks } from './acks.js';
import { ackTableOf, type ForeignAckTable } from './adapter-bridge.js';
import { assertEmittable, type BroadcastOperator } from './broadcast.js';
import type { ConnectionInfo } from './client.js';
import type { Handshake, SocketClient } from './types.js';
import { TypedEmitter } from './emitter.js';
import type { Namespace } from './namespace.js';
import type { Packet } from './packet.js';
import type { DisconnectReason } from './reasons.js';
import { RECOVERABLE_REASONS, recoveryPackets, recoveryState, type Session } from './recovery.js';
import {
  type AnyListener,
  addCatchAll,
  type PacketMiddleware,
  removeCatchAll,
  runPacketMiddlewares,
  type SocketHooks,
} from './socket-hooks.js';
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  FirstArg,
  Last,
} from './typed-events.js';

/** Events the server-side socket itself emits. */
export interface SocketReservedEvents {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (err: Error) => void;
}

/**
 * Connection times are kept relative to this: ms since the epoch do not fit a small integer and
 * would take a heap number per socket; ms since the module loaded do (for ~24 days).
 */
const ISSUED_BASE = Date.now();

/** The flags of an emit that sets none; replaced, never mutated. */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

const NO_ROOMS: ReadonlySet<Room> = new Set();

/**
 * A client's membership of one namespace. Application code emits to it, listens on it and moves it
 * between rooms; the same class serves Socket.IO clients and plain WebSocket clients.
 */
export class Socket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = DefaultEventsMap,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    // biome-ignore lint/suspicious/noExplicitAny: socket.io's default (see Server)
    SocketData = any,
  >
  extends TypedEmitter<ListenEvents & SocketReservedEvents>
  implements LocalSocket
{
  /** The socket id, unique on the server and the name of a room the socket is in. */
  readonly id: SocketId;
  /** The namespace the socket belongs to. */
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connection that carries this socket. */
  readonly client: SocketClient;
  /** The auth payload of the CONNECT packet. */
  private readonly auth: Record<string, unknown>;
  /** When the socket connected (ms since the epoch); the handshake object is built on first use. */
  private readonly issuedSinceStart = Date.now() - ISSUED_BASE;
  private handshakeCache: Handshake | undefined;
  private dataValue: SocketData | undefined;
  /** Whether the socket is connected to its namespace. */
  connected = false;

  /** Acks awaited from the client, created on the first one. */
  private pendingAcks: AwaitedAcks | undefined;
  private nextFlags: BroadcastFlags = NO_FLAGS;
  /**
   * Packet middlewares, catch-all listeners and recovery state: few sockets have any, so one field
   * holds them (a server without recovery pays no field for it).
   */
  private hooks: SocketHooks | undefined;

  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: SocketClient,
    auth: Record<string, unknown>,
    previousSession?: Session,
  ) {
    super();
    this.nsp = nsp;
    this.client = client;
    this.auth = auth;
    this.id = previousSession ? previousSession.sid : (client.socketIdFor?.(nsp.name) ?? randomId());
    if (previousSession) this.dataValue = previousSession.data as SocketData;
    if (nsp.recovery) this.hooks = { recovery: recoveryState(previousSession) };
  }

  /** Whether the socket came back with its previous session (connection state recovery). */
  get recovered(): boolean {
    return this.hooks?.recovery?.recovered ?? false;
  }

  /** Free storage for the application; visible to `fetchSockets`. Created on first use. */
  get data(): SocketData {
    this.dataValue ??= {} as SocketData;
    return this.dataValue;
  }

  set data(value: SocketData) {
    this.dataValue = value;
  }

  /** What the server knows of the request that connected the socket (built on first use). */
  get handshake(): Handshake {
    this.handshakeCache ??= this.client.buildHandshake(this.auth, ISSUED_BASE + this.issuedSinceStart);
    return this.handshakeCache;
  }

  /** The server this socket belongs to. */
  get server() {
    return this.nsp.server;
  }

  /** The HTTP request that opened the connection. */
  get request(): HandshakeRequest {
    return this.client.request;
  }

  /** The engine connection carrying this socket. */
  get conn(): ConnectionInfo {
    return this.client.info;
  }

  /** The rooms this socket is in (a copy). */
  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id) ?? []);
  }

  /** Whether the socket is not connected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  // ---- emitting -------------------------------------------------------------------------------

  /**
   * Emits an event to this client. A function as last argument is called with the client's answer
   * (after `timeout(ms)`, with an error first).
   * @throws EncodeError when the arguments cannot be encoded (circular, nested deeper than
   * MAX_ENCODE_DEPTH, not JSON); nothing is sent and no answer is awaited.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    // The flags are taken first: a refused name must not leave them to the next emit.
    const flags = this.nextFlags;
    this.nextFlags = NO_FLAGS;
    assertEmittable(event);
    const data: unknown[] = [event, ...args];
    let id: number | undefined;
    const last = data[data.length - 1];
    if (typeof last === 'function') {
      data.pop();
      id = this.nsp.nextAckId();
    }
    const packet: Packet =
      id === undefined
        ? { type: 'event', nsp: this.nsp.name, data }
        : { type: 'event', nsp: this.nsp.name, data, id };
    const recovery = this.hooks?.recovery;
    if (recovery && id === undefined && !flags.volatile) {
      // As socket.io: through the adapter, which gives the event its offset and keeps it in case
      // the client misses it; outgoing listeners see it on delivery.
      recovery.ownRoom ??= new Set([this.id]);
      this.nsp.adapter.broadcast(packet, { rooms: recovery.ownRoom, except: NO_ROOMS, flags });
      return true;
    }
    // Encoded first: a payload that cannot be encoded throws before any side effect.
    const encoded = new Encoded(packet);
    if (id !== undefined) {
      this.pendingAcks ??= new AwaitedAcks();
      this.pendingAcks.register(id, last as (...a: unknown[]) => void, flags.timeout);
    }
    const anyOutgoing = this.hooks?.anyOutgoing;
    if (anyOutgoing) this.callAny(anyOutgoing, data);
    this.client.write(encoded, flags);
    return true;
  }

  /**
   * Emits and resolves with the client's answer; rejects on timeout or disconnection, and with an
   * EncodeError when the arguments cannot be encoded.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>> {
    const withTimeout = this.nextFlags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const callback = withTimeout
        ? (err: Error | null, answer: unknown) => (err ? reject(err) : resolve(answer as never))
        : (answer: unknown) => resolve(answer as never);
      (this.emit as (event: Ev, ...rest: unknown[]) => boolean)(event, ...args, callback);
    });
  }

  /** Emits a `message` event. */
  send(...args: unknown[]): this {
    (this.emit as (event: string, ...rest: unknown[]) => boolean)('message', ...args);
    return this;
  }

  /** Alias of `send`. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** The next emit drops its packet if the client cannot take it right now. */
  get volatile(): this {
    this.nextFlags = { ...this.nextFlags, volatile: true };
    return this;
  }

  /** Sets whether the next emit is compressed. */
  compress(compress: boolean): this {
    this.nextFlags = { ...this.nextFlags, compress };
    return this;
  }

  /** The next emit's ack waits at most `ms`, and its callback gets an error first. */
  timeout(
    ms: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.nextFlags = { ...this.nextFlags, timeout: ms };
    return this as unknown as Socket<
      ListenEvents,
      DecorateAcknowledgements<EmitEvents>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** Every other socket of the namespace on this server process only (as socket.io: a broadcast). */
  get local() {
    return this.operator().local;
  }

  /**
   * A broadcast to every other socket, carrying the flags set on this socket for the next emit
   * (`socket.volatile.to(room)`, `socket.timeout(ms).broadcast`...), which it takes.
   */
  private operator(): BroadcastOperator<EmitEvents, ReturnType<typeof this.nsp.resolveSocket>> {
    const flags = this.nextFlags;
    this.nextFlags = NO_FLAGS;
    let operator = this.nsp.broadcastOperator().except(this.id);
    if (flags.volatile) operator = operator.volatile;
    if (flags.local) operator = operator.local;
    if (flags.compress !== undefined) operator = operator.compress(flags.compress);
    if (flags.timeout !== undefined) operator = operator.timeout(flags.timeout) as unknown as typeof operator;
    return operator as BroadcastOperator<EmitEvents, ReturnType<typeof this.nsp.resolveSocket>>;
  }

  /** Targets the room(s), excluding this socket. */
  to(room: Room | readonly Room[]) {
    return this.operator().to(room);
  }

  /** Alias of `to`. */
  in(room: Room | readonly Room[]) {
    return this.to(room);
  }

  /** Every socket of the namespace except those in the room(s) and this one. */
  except(room: Room | readonly Room[]) {
    return this.operator().except(room);
  }

  /** Every socket of the namespace except this one. */
  get broadcast() {
    return this.operator();
  }

  // ---- rooms ----------------------------------------------------------------------------------

  /** Joins one or several rooms. */
  join(rooms: Room | readonly Room[]): void {
    if (!this.connected) return;
    this.nsp.adapter.addAll(this.id, typeof rooms === 'string' ? [rooms] : rooms);
  }

  /** Leaves a room, or several (a list, as `join` takes; socket.io after 4.8 takes one too). */
  leave(rooms: Room | readonly Room[]): void {
    if (typeof rooms === 'string') this.nsp.adapter.del(this.id, rooms);
    else for (const room of rooms) this.nsp.adapter.del(this.id, room);
  }

  /** Leaves every room, its own too, as socket.io's `leaveAll()` (private there, but called). */
  leaveAll(): void {
    this.nsp.adapter.delAll(this.id);
  }

  // ---- disconnecting --------------------------------------------------------------------------

  /** Leaves the namespace; with `close`, closes the whole connection. */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.closeFromServer();
    } else {
      this.client.write(new Encoded({ type: 'disconnect', nsp: this.nsp.name }), {});
      this.onClose('server namespace disconnect');
    }
    return this;
  }

  // ---- middlewares and catch-all listeners ----------------------------------------------------

  private ensureHooks(): SocketHooks {
    this.hooks ??= {};
    return this.hooks;
  }

  /** Adds a packet middleware. */
  use(fn: PacketMiddleware): this {
    const hooks = this.ensureHooks();
    hooks.use = [...(hooks.use ?? []), fn];
    return this;
  }

  /** Adds a listener of every incoming event. */
  onAny(listener: AnyListener): this {
    addCatchAll(this.ensureHooks(), 'any', listener, false);
    return this;
  }

  /** Adds a listener of every incoming event, before the others. */
  prependAny(listener: AnyListener): this {
    addCatchAll(this.ensureHooks(), 'any', listener, true);
    return this;
  }

  /** Removes a catch-all listener, or all of them. */
  offAny(listener?: AnyListener): this {
    removeCatchAll(this.hooks, 'any', listener);
    return this;
  }

  /** The catch-all listeners. */
  listenersAny(): AnyListener[] {
    return this.hooks?.any?.slice() ?? [];
  }

  /** Adds a listener of every outgoing event. */
  onAnyOutgoing(listener: AnyListener): this {
    addCatchAll(this.ensureHooks(), 'anyOutgoing', listener, false);
    return this;
  }

  /** Adds a listener of every outgoing event, before the others. */
  prependAnyOutgoing(listener: AnyListener): this {
    addCatchAll(this.ensureHooks(), 'anyOutgoing', listener, true);
    return this;
  }

  /** Removes an outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    removeCatchAll(this.hooks, 'anyOutgoing', listener);
    return this;
  }

  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): AnyListener[] {
    return this.hooks?.anyOutgoing?.slice() ?? [];
  }

  // ---- seams used by the namespace, the connection and the adapter ----------------------------

  /** Hands this socket a packet encoded once for a whole broadcast. */
  deliver(encoded: EncodedPacket, flags: BroadcastFlags): void {
    const anyOutgoing = this.hooks?.anyOutgoing;
    if (anyOutgoing && encoded.packet.type === 'event') {
      this.callAny(anyOutgoing, encoded.packet.data);
    }
    this.client.write(encoded, flags, true);
  }

  /**
   * socket.io's `socket.acks` as socket.io-adapter's `broadcastWithAck` uses it (`set(id, fn)`);
   * parley keeps the acks in its own table.
   */
  get acks(): ForeignAckTable {
    return ackTableOf(this);
  }

  /**
   * Tells outgoing catch-all listeners of a packet an adapter writes with `client.writeToEngine`
   * (socket.io's name; socket.io-adapter calls it per recipient).
   */
  notifyOutgoingListeners(packet: { data?: unknown }): void {
    const anyOutgoing = this.hooks?.anyOutgoing;
    if (anyOutgoing && Array.isArray(packet.data)) this.callAny(anyOutgoing, packet.data);
  }

  /** Waits for the answer to a packet sent with this ack id (broadcast with ack). */
  expectAck(id: number, callback: (err: Error | null, args: unknown[]) => void): void {
    this.pendingAcks ??= new AwaitedAcks();
    this.pendingAcks.expect(id, callback);
  }

  /** Forgets an ack id that will not be answered in time. */
  cancelAck(id: number): void {
    this.pendingAcks?.cancel(id);
  }

  /** How many acks of the client are awaited (what `acks.size` reads). */
  get awaitedAcks(): number {
    return this.pendingAcks?.size ?? 0;
  }

  /** Completes the namespace connection: joins its own room and tells the client its id. */
  onConnect(): void {
    this.connected = true;
    const recovery = this.hooks?.recovery;
    if (!recovery) {
      this.join(this.id);
      this.client.write(new Encoded({ type: 'connect', nsp: this.nsp.name, data: { sid: this.id } }), {});
      return;
    }
    if (recovery.restored) this.join(recovery.restored.rooms);
    this.join(this.id);
    const packets = recoveryPackets(this.nsp.name, this.id, recovery, this.client.welcomeFirst === true);
    for (const packet of packets) this.client.write(packet, {});
  }

  /**
   * The connection could not decode what its client sent and is closing: 'error' listeners hear
   * why before the socket leaves, as on socket.io.
   */
  onConnectionError(err: Error): void {
    this.emitEvent('error', [err]);
  }

  /** Handles a packet the client sent to this namespace. */
  onPacket(packet: Packet): void {
    switch (packet.type) {
      case 'event':
        this.onEvent(packet.data, packet.id);
        break;
      case 'ack':
        this.pendingAcks?.answer(packet.id, packet.data);
        break;
      case 'disconnect':
        this.onClose('client namespace disconnect');
        break;
      default:
        // CONNECT and CONNECT_ERROR are handled by the connection.
        break;
    }
  }

  /** Leaves the namespace: `disconnecting` (rooms still set), cleanup, then `disconnect`. */
  onClose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitEvent('disconnecting', [reason, description]);
    const recovery = this.hooks?.recovery;
    if (recovery && RECOVERABLE_REASONS.has(reason)) {
      const persisted = this.nsp.adapter.persistSession?.({
        sid: this.id,
        pid: recovery.pid,
        rooms: [...(this.nsp.adapter.socketRooms(this.id) ?? [])],
        data: this.dataValue,
        address: this.client.info.remoteAddress,
      });
      // An adapter that fails to keep it (a store that is down) only costs the client its recovery.
      persisted?.catch(() => undefined);
    }
    this.nsp.adapter.delAll(this.id);
    this.nsp.removeSocket(this);
    this.client.removeSocket(this);
    this.connected = false;
    const pending = this.pendingAcks;
    this.pendingAcks = undefined;
    pending?.disconnected();
    this.emitEvent('disconnect', [reason, description]);
  }

  private onEvent(data: unknown[], id: number | undefined): void {
    // `data` is the decoded packet's own array, used by nobody else: it is extended in place.
    if (id !== undefined) data.push(this.ackFunction(id));
    const hooks = this.hooks;
    if (hooks?.any) this.callAny(hooks.any, data);
    const middlewares = hooks?.use;
    if (!middlewares || middlewares.length === 0) {
      this.dispatch(data);
      return;
    }
    runPacketMiddlewares(middlewares, data, () => this.dispatch(data), (err) => this.reportError(err));
  }

  /**
   * Hands the event to its listeners on the next tick, as socket.io does: an event that arrived
   * together with the socket's end (a disconnect in the same polling payload, frames read in one
   * go) reaches nobody, and listeners run after the code that delivered the packet.
   */
  private dispatch(data: unknown[]): void {
    process.nextTick(() => {
      if (!this.connected) return;
      const event = data.shift() as string;
      this.emitEvent(event, data);
    });
  }

  /** A packet middleware refused an event: the socket's 'error' listeners hear why, on the next tick as on socket.io. */
  private reportError(err: Error): void {
    process.nextTick(() => {
      if (!this.emitEvent('error', [err])) {
        console.error(`parley: socket ${this.id} rejected a packet and has no 'error' listener:`, err.message);
      }
    });
  }

  /** The ack function handed to a listener; it throws EncodeError (and may be called again) when its answer cannot be encoded. */
  private ackFunction(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      const encoded = new Encoded({ type: 'ack', nsp: this.nsp.name, data: args, id });
      sent = true;
      this.client.write(encoded, {});
    };
  }

  protected override listenerErrorSubject(): string {
    return `socket ${this.id}: `;
  }

  private callAny(listeners: AnyListener[], data: unknown[]): void {
    for (const listener of listeners.slice()) {
      try {
        (listener as (...a: unknown[]) => void)(...data);
      } catch (err) {
        this.onListenerError(err, '*');
      }
    }
  }
}
