/**
 * Connection state recovery (socket.io 4.8's `connectionStateRecovery`): what a socket leaves behind
 * when its connection drops for a reason the client did not choose, so that a client reconnecting
 * within `maxDisconnectionDuration` with `{pid, offset}` gets its id, rooms and data back, and the
 * events it missed. The options, the session shapes adapters store, and which reasons are kept.
 */
import { randomId } from '../engine/index.js';
import { EncodedPacket, type Room, type SocketId } from './adapter.js';
import { EncodeError } from './encode-error.js';
import type { Packet } from './packet.js';
import type { DisconnectReason } from './reasons.js';

/**
 * The private session id: sent to the client in the CONNECT reply only, so that knowing a socket id
 * (which other clients may see) is not enough to take over its session.
 */
export type PrivateSessionId = string;

/** The offset of an event a client received: the last argument of every event that can be missed. */
export type Offset = string;

/** The `connectionStateRecovery` option: socket.io's two settings, and parley's caps. */
export interface ConnectionStateRecoveryOptions {
  /**
   * How long a disconnected session (and the events sent since) is kept, in ms.
   * @default 120000
   */
  maxDisconnectionDuration: number;
  /**
   * Whether a recovered socket skips the namespace's middlewares.
   * @default true
   */
  skipMiddlewares: boolean;
  /**
   * Most events kept per namespace for clients to catch up; beyond it the oldest are dropped, and a
   * session whose missed events were dropped is not recovered (it starts over, without holes).
   * @default 10000
   */
  maxPackets: number;
  /**
   * Most bytes of encoded payload kept per namespace (binary attachments included); over it the
   * oldest events are dropped, with the same effect as maxPackets.
   * @default 33554432 (32 MiB)
   */
  maxPacketBytes: number;
  /**
   * Most disconnected sessions kept by the server (all namespaces together); beyond it the oldest
   * is forgotten.
   * @default 10000
   */
  maxSessions: number;
  /**
   * Most disconnected sessions kept by the server per client address, so one address cannot push
   * everyone else's sessions out; beyond it that address's oldest is forgotten.
   * @default 1000
   */
  maxSessionsPerAddress: number;
}

/** The recovery defaults; socket.io's for its two settings. */
export const RECOVERY_DEFAULTS: Readonly<ConnectionStateRecoveryOptions> = Object.freeze({
  maxDisconnectionDuration: 2 * 60 * 1000,
  skipMiddlewares: true,
  maxPackets: 10_000,
  maxPacketBytes: 32 * 1024 * 1024,
  maxSessions: 10_000,
  maxSessionsPerAddress: 1_000,
});

/** Applies the defaults to the `connectionStateRecovery` option; false when recovery is off. */
export function resolveRecoveryOptions(
  given: Partial<ConnectionStateRecoveryOptions> | undefined | false,
): Readonly<ConnectionStateRecoveryOptions> | false {
  // As socket.io: any object turns it on, `{}` with every default.
  if (given === undefined || given === false || given === null) return false;
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...RECOVERY_DEFAULTS, ...defined });
}

/** What a socket leaves to its adapter when it disconnects for a recoverable reason. */
export interface SessionToPersist {
  sid: SocketId;
  pid: PrivateSessionId;
  rooms: Room[];
  data: unknown;
  /** The client's address (parley's addition, for the per-address cap); adapters may ignore it. */
  address?: string;
}

/** A session an adapter restored: as persisted, with the events sent to it since the offset. */
export interface Session extends SessionToPersist {
  /** Each missed event's data array: name, arguments, offset. */
  missedPackets: unknown[][];
}

/**
 * The reasons that leave a session to recover: the connection dropped or was closed under the
 * socket (socket.io's list). Leaving on purpose (`socket.disconnect()`, a client's disconnect) and
 * a protocol violation do not.
 */
export const RECOVERABLE_REASONS: ReadonlySet<DisconnectReason> = new Set<DisconnectReason>([
  'transport error',
  'transport close',
  'forced close',
  'ping timeout',
  'server shutting down',
  'forced server close',
]);

/** What a socket has of connection state recovery, when the server has it on. */
export interface RecoveryState {
  readonly pid: PrivateSessionId;
  /** The session this socket came back with, until its rooms and missed events are applied. */
  restored: Session | undefined;
  readonly recovered: boolean;
  /** The socket's own room, as a broadcast target for its events (made once). */
  ownRoom: ReadonlySet<Room> | undefined;
}

/** The recovery state of a new socket: a restored session's, or a fresh pid. */
export function recoveryState(previous: Session | undefined): RecoveryState {
  return previous
    ? { pid: previous.pid, restored: previous, recovered: true, ownRoom: undefined }
    : { pid: randomId(), restored: undefined, recovered: false, ownRoom: undefined };
}

/**
 * The packets a recovering socket is sent once connected: the events it missed, in order, then the
 * CONNECT reply with its pid, as socket.io writes them (its client holds the events until the
 * CONNECT); with `welcomeFirst` (plain clients, whose first frame is the welcome) the CONNECT goes
 * first. A kept event whose arguments the application made unencodable since is left out.
 */
export function recoveryPackets(
  nsp: string,
  sid: SocketId,
  state: RecoveryState,
  welcomeFirst: boolean,
): EncodedPacket[] {
  const connect = new EncodedPacket({ type: 'connect', nsp, data: { sid, pid: state.pid } });
  const packets: EncodedPacket[] = [];
  const restored = state.restored;
  state.restored = undefined;
  for (const data of restored?.missedPackets ?? []) {
    const offset = data[data.length - 1];
    const packet: Packet =
      typeof offset === 'string' ? { type: 'event', nsp, data, offset } : { type: 'event', nsp, data };
    try {
      packets.push(new EncodedPacket(packet));
    } catch (err) {
      if (!(err instanceof EncodeError)) throw err;
    }
  }
  if (welcomeFirst) packets.unshift(connect);
  else packets.push(connect);
  return packets;
}
