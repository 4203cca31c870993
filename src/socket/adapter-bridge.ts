/**
 * The adapter seam for socket.io's own adapters: any subclass of socket.io-adapter's `Adapter` or
 * `ClusterAdapter` (@socket.io/redis-adapter, postgres-adapter, redis-streams-adapter,
 * cluster-adapter...) is built with parley's namespace as its `nsp`, and reads what socket.io's
 * namespace, server and sockets give it: `nsp.name`, `nsp.sockets`, `nsp._ids`,
 * `nsp._onServerSideEmit`, `nsp.server.encoder`, `nsp.server.opts`, and on each socket `id`,
 * `rooms`, `data`, `handshake`, `join`, `leave`, `disconnect`, `acks`, `notifyOutgoingListeners`,
 * `client.writeToEngine`. parley's own code keeps driving `nsp.adapter` through its {@link Adapter}
 * interface: the adapter is wrapped in a bridge that translates packets (numeric socket.io-parser
 * types on the cluster's wire, so parley and socket.io nodes understand each other) and options.
 *
 * Encode once still holds: the server's encoder hands back socket.io-parser's messages marked with
 * parley's `EncodedPacket`, and `writeToEngine` writes that packet in the client's own format (a
 * plain WebSocket client gets its JSON envelope, a custom parser's client its encoding).
 */
import { type AckRecipient, type Adapter, type BroadcastOptions, EncodedPacket, type Room, type SocketDetails, type SocketId, socketIoFormat } from './adapter.js';
import { fromParserPacket, type ParserPacket, toParserPacket } from './custom-parser.js';
import { attachBinary, decodePacket, type Packet } from './packet.js';
import type { Offset, PrivateSessionId, Session, SessionToPersist } from './recovery.js';

/** The flags socket.io's adapters read (`local`, `volatile`, `compress`, `timeout`...). */
type ForeignFlags = Record<string, unknown>;

/** socket.io-adapter's broadcast options: Sets always present, flags an object. */
interface ForeignOptions {
  rooms: Set<Room>;
  except: Set<Room>;
  flags: ForeignFlags;
}

/** The members of socket.io-adapter's `Adapter` the bridge calls. */
export interface ForeignAdapter {
  nsp: unknown;
  rooms: Map<Room, Set<SocketId>>;
  sids: Map<SocketId, Set<Room>>;
  init(): Promise<void> | void;
  close(): Promise<void> | void;
  serverCount(): Promise<number>;
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void;
  del(id: SocketId, room: Room): Promise<void> | void;
  delAll(id: SocketId): void;
  broadcast(packet: ParserPacket, opts: ForeignOptions): unknown;
  broadcastWithAck(
    packet: ParserPacket,
    opts: ForeignOptions,
    clientCountCallback: (count: number) => void,
    ack: (...args: unknown[]) => void,
  ): unknown;
  sockets(rooms: Set<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): Set<Room> | undefined;
  fetchSockets(opts: ForeignOptions): Promise<unknown[]>;
  addSockets(opts: ForeignOptions, rooms: Room[]): unknown;
  delSockets(opts: ForeignOptions, rooms: Room[]): unknown;
  disconnectSockets(opts: ForeignOptions, close: boolean): unknown;
  serverSideEmit(packet: unknown[]): unknown;
  persistSession(session: SessionToPersist): unknown;
  restoreSession(pid: PrivateSessionId, offset: Offset): Promise<Session | null> | Session | null;
}

/** Whether an adapter a constructor built is socket.io-adapter's kind (it keeps the namespace it was given as `nsp`). */
export function isForeignAdapter(built: unknown, nsp: unknown): built is ForeignAdapter {
  if (typeof built !== 'object' || built === null) return false;
  const candidate = built as Partial<ForeignAdapter>;
  return candidate.nsp === nsp && typeof candidate.serverCount === 'function' && typeof candidate.broadcast === 'function';
}

/** Marks the messages the server's encoder returned with the parley packet they carry. */
const CARRIED: unique symbol = Symbol('parley.encodedPacket');

/** What the server's encoder returns: socket.io-parser's messages, and the packet behind them. */
export type EncoderOutput = (string | Buffer)[] & { [CARRIED]?: EncodedPacket };

/** Packets the bridge encoded already (to check them before broadcasting), by socket.io packet object. */
const preEncoded = new WeakMap<object, { data: unknown; length: number; id: unknown; encoded: EncodedPacket }>();

/**
 * `io.encoder` as socket.io-adapter uses it: socket.io-parser's encoding of a packet, as parley's
 * own codec writes it (the same format), with the encoded packet attached for `writeToEngine`.
 * @throws EncodeError when the payload cannot be encoded; TypeError when it is not a packet.
 */
export class AdapterEncoder {
  encode(packet: ParserPacket): EncoderOutput {
    const cached = preEncoded.get(packet);
    // An adapter may have appended an offset or set an ack id since: then the packet is encoded again.
    const data = packet.data;
    const unchanged =
      cached !== undefined &&
      cached.data === data &&
      Array.isArray(data) &&
      data.length === cached.length &&
      cached.id === packet.id;
    const encoded = unchanged
      ? cached.encoded
        : new EncodedPacket(checked(packet));
    const output = encoded.in(socketIoFormat).map((message) => message.data) as EncoderOutput;
    output[CARRIED] = encoded;
    return output;
  }
}

function checked(packet: ParserPacket): Packet {
  const converted = fromParserPacket(packet);
  if (!converted.ok) throw new TypeError(`not a Socket.IO packet: ${converted.error.message}`);
  return converted.value;
}

/**
 * The packet behind messages given to `writeToEngine`: the one the server's encoder attached, or
 * (messages some other code encoded in socket.io-parser's format) the packet decoded from them.
 * Undefined when they are not a packet.
 */
export function packetOfMessages(messages: unknown): EncodedPacket | undefined {
  if (!Array.isArray(messages)) return undefined;
  const carried = (messages as EncoderOutput)[CARRIED];
  if (carried !== undefined) return carried;
  const [head, ...attachments] = messages as unknown[];
  if (typeof head !== 'string' || !attachments.every((part) => Buffer.isBuffer(part))) return undefined;
  const header = decodePacket(head, { maxAttachments: attachments.length });
  if (!header.ok) return undefined;
  if (header.value.complete) return attachments.length === 0 ? new EncodedPacket(header.value.packet) : undefined;
  if (header.value.attachments !== attachments.length) return undefined;
  const whole = attachBinary(header.value.packet, attachments as Buffer[]);
  return whole.ok ? new EncodedPacket(whole.value) : undefined;
}

/** socket.io's `socket.acks` as socket.io-adapter uses it: `set(id, fn)` awaits the client's answer. */
export interface ForeignAckTable {
  set(id: number, ack: (...args: unknown[]) => void): ForeignAckTable;
  delete(id: number): boolean;
  /** How many acks are awaited (socket.io's private Map has it; code checking for leaks reads it). */
  readonly size: number;
}

/** Ack ids registered during the broadcast-with-ack in progress, to forget once it is over. */
let registering: (() => void)[] | undefined;

/** The `acks` table of a socket, for socket.io-adapter's `broadcastWithAck`. */
export function ackTableOf(socket: AckRecipient): ForeignAckTable {
  const table: ForeignAckTable = {
    set(id, ack) {
      socket.expectAck(id, (err, args) => {
        if (!err) ack(...args);
      });
      registering?.push(() => socket.cancelAck(id));
      return table;
    },
    delete(id) {
      socket.cancelAck(id);
      return true;
    },
    get size() {
      return socket.awaitedAcks;
    },
  };
  return table;
}

/** What the bridge needs of its namespace. */
export interface BridgeHost {
  readonly name: string;
  /** Reports an adapter failure that has nobody to reject to (a publish that failed). */
  reportAdapterError(err: unknown): void;
}

function foreignOptions(options: BroadcastOptions): ForeignOptions {
  return { rooms: new Set(options.rooms), except: new Set(options.except ?? []), flags: { ...options.flags } };
}

/** parley's event packet as socket.io's adapters take it: numeric type, a data array of its own. */
function foreignPacket(packet: Packet): ParserPacket {
  const converted = toParserPacket(packet);
  if (Array.isArray(converted.data)) converted.data = [...converted.data];
  return converted;
}

/** A socket.io-style packet already (someone calling the adapter as on socket.io). */
function isParserPacket(packet: unknown): packet is ParserPacket {
  return typeof (packet as { type?: unknown }).type === 'number';
}

/**
 * parley's {@link Adapter} over a socket.io-adapter instance. Every other member (its events,
 * `serverCount()`, `allRooms()`, its clients...) reads through to the adapter itself, so
 * `io.of('/').adapter` is the adapter as its package documents it.
 */
class ForeignAdapterBridge implements Adapter {
  constructor(
    readonly foreign: ForeignAdapter,
    private readonly host: BridgeHost,
  ) {}

  get rooms(): ReadonlyMap<Room, ReadonlySet<SocketId>> {
    return this.foreign.rooms;
  }

  get sids(): ReadonlyMap<SocketId, ReadonlySet<Room>> {
    return this.foreign.sids;
  }

  init(): Promise<void> | void {
    return this.foreign.init();
  }

  close(): Promise<void> | void {
    return this.foreign.close();
  }

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    this.settle(this.foreign.addAll(id, new Set(rooms)));
  }

  del(id: SocketId, room: Room): void {
    this.settle(this.foreign.del(id, room));
  }

  delAll(id: SocketId): void {
    this.settle(this.foreign.delAll(id));
  }

  broadcast(packet: Packet | ParserPacket, options: BroadcastOptions): void {
    this.settle(this.foreign.broadcast(this.prepare(packet), foreignOptions(options)));
  }

  /** socket.io's packet, checked now: one that cannot be encoded throws before anything is sent. */
  private prepare(packet: Packet | ParserPacket): ParserPacket {
    if (isParserPacket(packet)) return packet;
    const encoded = new EncodedPacket(packet);
    const converted = foreignPacket(packet);
    if (Array.isArray(converted.data)) {
      preEncoded.set(converted, { data: converted.data, length: converted.data.length, id: converted.id, encoded });
    }
    return converted;
  }

  broadcastWithAck(
    packet: Packet & { type: 'event' },
    options: BroadcastOptions,
    onRecipientCount: (count: number) => void,
    onAck: (err: Error | null, args: unknown[]) => void,
  ): () => void {
    const prepared = this.prepare(packet);
    // Each server reports its recipients; parley's operator is told the total once all did (as
    // socket.io's operator waits for serverCount()), so early answers cannot finish it too soon.
    let servers: number | undefined;
    let counted = 0;
    let total = 0;
    let told = false;
    const tell = (): void => {
      if (told || servers === undefined || counted < servers) return;
      told = true;
      onRecipientCount(total);
    };
    const local = options.flags?.local === true;
    const cancels: (() => void)[] = [];
    registering = cancels;
    try {
      this.settle(
        this.foreign.broadcastWithAck(
          prepared,
          foreignOptions(options),
          (count) => {
            counted++;
            total += count;
            tell();
          },
          (arg) => onAck(null, [arg]),
        ),
      );
    } finally {
      registering = undefined;
    }
    if (local) {
      servers = 1;
      tell();
    } else {
      Promise.resolve(this.foreign.serverCount()).then(
        (count) => {
          servers = Math.max(1, count);
          tell();
        },
        () => {
          servers = 1;
          tell();
        },
      );
    }
    return () => {
      for (const cancel of cancels) cancel();
    };
  }

  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    return this.foreign.sockets(new Set(rooms));
  }

  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.foreign.socketRooms(id);
  }

  async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    return (await this.foreign.fetchSockets(foreignOptions(options))) as SocketDetails[];
  }

  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    this.settle(this.foreign.addSockets(foreignOptions(options), [...rooms]));
  }

  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    this.settle(this.foreign.delSockets(foreignOptions(options), [...rooms]));
  }

  disconnectSockets(options: BroadcastOptions, close: boolean): void {
    this.settle(this.foreign.disconnectSockets(foreignOptions(options), close));
  }

  serverSideEmit(args: readonly unknown[]): void {
    this.settle(this.foreign.serverSideEmit([...args]));
  }

  persistSession(session: SessionToPersist): Promise<void> {
    return Promise.resolve(this.foreign.persistSession(session)).then(() => undefined);
  }

  restoreSession(pid: PrivateSessionId, offset: Offset): Promise<Session | null> {
    return Promise.resolve(this.foreign.restoreSession(pid, offset));
  }

  /** An adapter's asynchronous failure (a store that is down) is reported, never left unhandled. */
  private settle(result: unknown): void {
    if (result instanceof Promise) result.catch((err: unknown) => this.host.reportAdapterError(err));
  }
}

/**
 * Wraps a socket.io-adapter instance so parley drives it as its own adapter, while every member
 * the bridge does not define (events, `serverCount`, `allRooms`, the Redis clients...) and
 * `instanceof` are the adapter's own.
 */
export function bridgeForeignAdapter(foreign: ForeignAdapter, host: BridgeHost): Adapter {
  const bridge = new ForeignAdapterBridge(foreign, host);
  return new Proxy(bridge, {
    get(target, prop) {
      if (prop in target) return Reflect.get(target, prop, target);
      const value: unknown = Reflect.get(foreign, prop, foreign);
      return typeof value === 'function' ? value.bind(foreign) : value;
    },
    set(target, prop, value) {
      if (prop in target) return Reflect.set(target, prop, value, target);
      return Reflect.set(foreign, prop, value, foreign);
    },
    has(target, prop) {
      return prop in target || prop in foreign;
    },
    getPrototypeOf() {
      return Object.getPrototypeOf(foreign) as object | null;
    },
  });
}
