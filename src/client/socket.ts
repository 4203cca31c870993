/**
 * A Socket is one namespace over a Manager's connection: CONNECT with auth, typed emit and
 * listeners, acks (with timeouts), a bounded buffer for what is emitted while disconnected, and
 * socket.io-client's connect / connect_error / disconnect events.
 */
import {
  type DecorateAcknowledgements,
  type DefaultEventsMap,
  EncodeError,
  type EventNames,
  type EventParams,
  type EventsMap,
  parser,
} from '../socket/codec.js';
import { callSafely, Emitter } from './emitter.js';
import { AckError, ConnectError } from './errors.js';
import type { DisconnectReason, Manager } from './manager.js';
import { CLIENT_DEFAULTS, type SocketOptions } from './options.js';

/** Reported by `packet_dropped` when an emit could not be buffered. */
export interface DroppedPacket {
  /** Why: `maxBufferedPackets` packets were already waiting for a connection. */
  readonly reason: 'buffer full';
  readonly event: string;
  readonly args: readonly unknown[];
}

/** The events a Socket emits itself. */
export interface SocketReservedEvents {
  /** The namespace is connected (again). */
  connect: () => void;
  /** The connection or the namespace's CONNECT failed. */
  connect_error: (err: ConnectError) => void;
  /** The socket disconnected; it reconnects by itself unless the reason is an `io ... disconnect`. */
  disconnect: (reason: DisconnectReason, description?: string) => void;
  /** An emit was dropped while disconnected, the buffer being full. */
  packet_dropped: (packet: DroppedPacket) => void;
}

/** A catch-all listener (`onAny`): the event name, then its arguments. */
// biome-ignore lint/suspicious/noExplicitAny: as socket.io-client's, listeners receive untyped arguments.
export type AnyListener = (event: string, ...args: any[]) => void;

/** The names the protocol reserves, and this client's own `packet_dropped`. */
const RESERVED: ReadonlySet<string> = new Set([...parser.RESERVED_EVENTS, 'packet_dropped']);

interface Flags {
  volatile?: boolean;
  timeout?: number;
}

type AckCallback = (...args: unknown[]) => void;

interface PendingAck {
  readonly callback: AckCallback;
  /** Err-first: called with an error first (`timeout`, `ackTimeout`, `emitWithAck`). */
  readonly withError: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One namespace of a connection. */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ListenEvents & SocketReservedEvents> {
  /** The Manager this socket uses. */
  readonly io: Manager;
  /** The namespace. */
  readonly nsp: string;
  /** The auth payload (or its function), sent with each CONNECT. */
  auth: SocketOptions['auth'];
  /** Whether the namespace is connected. */
  connected = false;
  /** The server-side id, while connected. */
  id: string | undefined;
  readonly #opts: SocketOptions;
  #subs: (() => void)[] = [];
  #flags: Flags = {};
  #nextAckId = 0;
  readonly #acks = new Map<number, PendingAck>();
  #sendBuffer: (readonly (string | Buffer)[])[] = [];
  #receiveBuffer: parser.Packet[] = [];
  readonly #anyListeners: AnyListener[] = [];

  constructor(io: Manager, nsp: string, opts: Partial<SocketOptions> = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.#opts = {
      auth: opts.auth,
      ackTimeout: opts.ackTimeout,
      maxBufferedPackets: opts.maxBufferedPackets ?? CLIENT_DEFAULTS.maxBufferedPackets,
    };
    this.auth = opts.auth;
    if (io.opts.autoConnect) this.connect();
  }

  /** Whether the socket is attached to its Manager (connected, or trying to be). */
  get active(): boolean {
    return this.#subs.length > 0;
  }

  /** Whether the socket is disconnected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** How many emits wait for a connection. */
  get bufferedPackets(): number {
    return this.#sendBuffer.length;
  }

  #subscribe(): void {
    if (this.#subs.length > 0) return;
    const io = this.io;
    const onOpen = () => this.#onOpen();
    const onPacket = (packet: parser.Packet) => {
      if (packet.nsp === this.nsp) this.#onPacket(packet);
    };
    const onError = (err: ConnectError) => {
      if (!this.connected) this.emitUntyped('connect_error', [err]);
    };
    const onClose = (reason: DisconnectReason, description: string) => this.#onClose(reason, description);
    io.on('open', onOpen);
    io.on('packet', onPacket);
    io.on('error', onError);
    io.on('close', onClose);
    this.#subs = [
      () => io.off('open', onOpen),
      () => io.off('packet', onPacket),
      () => io.off('error', onError),
      () => io.off('close', onClose),
    ];
  }

  /** Connects (again): opens the Manager's connection if needed, then the namespace. */
  connect(): this {
    if (this.connected) return this;
    this.#subscribe();
    if (!this.io.reconnecting) this.io.open();
    if (this.io.engine?.state === 'open') this.#onOpen();
    return this;
  }

  /** Same as `connect`. */
  open(): this {
    return this.connect();
  }

  #onOpen(): void {
    if (this.io.protocol === 3) {
      // Socket.IO protocol v4: the server connects '/' by itself and CONNECT carries no auth; the
      // namespace's query travels in its name.
      if (this.nsp === '/' && !this.io.rootLeft) {
        if (this.io.rootConnected) this.#onConnect(undefined);
        return;
      }
      const query = new URLSearchParams(this.io.opts.query).toString();
      this.#write({ type: 'connect', nsp: query ? `${this.nsp}?${query}` : this.nsp });
      // socket.io 2 answers a CONNECT of '/' only when '/' has middleware (it takes its answer for
      // spent in the handshake): '/' joined again counts as connected once asked.
      if (this.nsp === '/') this.#onConnect(undefined);
      return;
    }
    const auth = this.auth;
    if (typeof auth === 'function') auth((data) => this.#sendConnect(data));
    else this.#sendConnect(auth);
  }

  #sendConnect(data: Record<string, unknown> | undefined): void {
    this.#write(
      data === undefined ? { type: 'connect', nsp: this.nsp } : { type: 'connect', nsp: this.nsp, data },
    );
  }

  #write(packet: parser.Packet): void {
    const encoded = parser.encodePacket(packet);
    if (!encoded.ok) throw new EncodeError(encoded.error);
    this.io.write(encoded.value);
  }

  #onPacket(packet: parser.Packet): void {
    switch (packet.type) {
      case 'connect': {
        const sid = packet.data?.sid;
        this.#onConnect(typeof sid === 'string' ? sid : undefined);
        return;
      }
      case 'connect_error': {
        // A refused namespace is not retried by itself (socket.io-client's rule): `connect()` does.
        this.#destroy();
        const { message, data } = packet.data;
        this.emitUntyped('connect_error', [new ConnectError('refused', message, { data })]);
        return;
      }
      case 'event':
      case 'ack':
        if (this.connected) this.#dispatch(packet);
        else this.#receiveBuffer.push(packet);
        return;
      case 'disconnect':
        if (this.nsp === '/' && this.io.protocol === 3) this.io.rootLeft = true;
        this.#destroy();
        this.#onClose('io server disconnect', 'the server disconnected the namespace');
        return;
    }
  }

  #onConnect(sid: string | undefined): void {
    if (this.connected) return;
    const engineId = this.io.engine?.id;
    // Protocol v4 has no sid in CONNECT: socket.io 2.x names a socket after its session.
    this.id = sid ?? (this.nsp === '/' ? engineId : `${this.nsp}#${engineId}`);
    this.connected = true;
    for (const packet of this.#receiveBuffer.splice(0)) this.#dispatch(packet);
    for (const messages of this.#sendBuffer.splice(0)) this.io.write(messages);
    this.emitUntyped('connect', []);
  }

  #dispatch(packet: parser.Packet): void {
    if (packet.type === 'ack') {
      const pending = this.#acks.get(packet.id);
      if (!pending) return;
      this.#acks.delete(packet.id);
      clearTimeout(pending.timer);
      if (pending.withError) pending.callback(null, ...packet.data);
      else pending.callback(...packet.data);
      return;
    }
    if (packet.type !== 'event') return;
    const args: unknown[] = [...packet.data];
    if (packet.id !== undefined) args.push(this.#ackFunction(packet.id));
    for (const listener of [...this.#anyListeners]) callSafely(listener, args);
    const [event, ...rest] = args;
    this.emitUntyped(String(event), rest);
  }

  #ackFunction(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#write({ type: 'ack', nsp: this.nsp, id, data: args });
    };
  }

  /** The next emit is dropped unless it can be sent at once (no buffering while disconnected). */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /** The next emit's ack is err-first, and gets an {@link AckError} 'timeout' after `ms`. */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags.timeout = ms;
    return this as unknown as Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>>;
  }

  /**
   * Emits an event; a function as last argument is its ack. Throws an EncodeError for a payload
   * that cannot be encoded, before anything is sent or buffered.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    const list = [...args] as unknown[];
    const last = list.at(-1);
    const callback = typeof last === 'function' ? (list.pop() as AckCallback) : undefined;
    const timeout = this.#flags.timeout ?? this.#opts.ackTimeout;
    this.#emit(String(event), list, callback, timeout !== undefined);
    return this;
  }

  /** Emits an event and resolves with the first argument of its ack; rejects with an AckError. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const callback = (err: unknown, value: unknown) => (err ? reject(err) : resolve(value));
      try {
        this.#emit(String(event), [...args] as unknown[], callback as AckCallback, true);
      } catch (err) {
        reject(err);
      }
    });
  }

  #emit(event: string, args: unknown[], callback: AckCallback | undefined, withError: boolean): void {
    const flags = this.#flags;
    this.#flags = {};
    if (RESERVED.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const id = callback ? this.#nextAckId++ : undefined;
    const packet: parser.Packet =
      id === undefined
        ? { type: 'event', nsp: this.nsp, data: [event, ...args] }
        : { type: 'event', nsp: this.nsp, data: [event, ...args], id };
    const encoded = parser.encodePacket(packet);
    if (!encoded.ok) throw new EncodeError(encoded.error);

    const canSendNow = this.connected && this.io.engine?.writable === true;
    if (flags.volatile && !canSendNow) return;
    if (!this.connected && this.#sendBuffer.length >= this.#opts.maxBufferedPackets) {
      if (callback && withError) callback(new AckError('buffer full'));
      this.emitUntyped('packet_dropped', [{ reason: 'buffer full', event, args } satisfies DroppedPacket]);
      return;
    }
    if (callback && id !== undefined) {
      const pending: PendingAck = { callback, withError, timer: undefined };
      const timeout = flags.timeout ?? this.#opts.ackTimeout;
      if (timeout !== undefined) {
        pending.timer = setTimeout(() => {
          this.#acks.delete(id);
          callback(new AckError('timeout'));
        }, timeout);
      }
      this.#acks.set(id, pending);
    }
    if (this.connected) this.io.write(encoded.value);
    else this.#sendBuffer.push(encoded.value);
  }

  /** Same as `emit('message', ...args)`. */
  send(...args: unknown[]): this {
    this.#emit(
      'message',
      args.filter((a) => typeof a !== 'function'),
      undefined,
      false,
    );
    return this;
  }

  /** Adds a listener of every incoming event. */
  onAny(listener: AnyListener): this {
    this.#anyListeners.push(listener);
    return this;
  }

  /** Adds a listener of every incoming event, before the others. */
  prependAny(listener: AnyListener): this {
    this.#anyListeners.unshift(listener);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: AnyListener): this {
    if (listener === undefined) this.#anyListeners.length = 0;
    else {
      const index = this.#anyListeners.indexOf(listener);
      if (index !== -1) this.#anyListeners.splice(index, 1);
    }
    return this;
  }

  /** The catch-all listeners. */
  listenersAny(): AnyListener[] {
    return [...this.#anyListeners];
  }

  /** Leaves the namespace (sending DISCONNECT); closes the connection if no other socket uses it. */
  disconnect(): this {
    if (this.connected) this.#write({ type: 'disconnect', nsp: this.nsp });
    if (this.nsp === '/' && this.io.protocol === 3) this.io.rootLeft = true;
    this.#destroy();
    if (this.connected) this.#onClose('io client disconnect', 'the application disconnected');
    return this;
  }

  /** Same as `disconnect`. */
  close(): this {
    return this.disconnect();
  }

  #destroy(): void {
    for (const unsubscribe of this.#subs) unsubscribe();
    this.#subs = [];
    this.io.destroySocket(this);
  }

  #onClose(reason: DisconnectReason, description: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.id = undefined;
    this.#receiveBuffer = [];
    // Err-first acks hear now that no answer will come (socket.io-client 4.8 does the same); the
    // others keep waiting, as the answer may never come but the application chose no deadline.
    for (const [id, pending] of this.#acks) {
      if (!pending.withError) continue;
      clearTimeout(pending.timer);
      this.#acks.delete(id);
      pending.callback(new AckError('disconnected'));
    }
    this.emitUntyped('disconnect', [reason, description]);
  }
}
