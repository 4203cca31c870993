import {
  type AdapterHost,
  type BroadcastOptions,
  EncodedPacket,
  InMemoryAdapter,
  type Room,
} from './adapter.js';
import type { Packet } from './packet.js';
import {
  type ConnectionStateRecoveryOptions,
  type Offset,
  type PrivateSessionId,
  RECOVERY_DEFAULTS,
  type Session,
  type SessionToPersist,
} from './recovery.js';

/** An event kept for clients that may have missed it. */
interface LoggedPacket {
  readonly seq: number;
  readonly rooms: ReadonlySet<Room>;
  readonly except: ReadonlySet<Room> | undefined;
  /** The event's data array, offset last, as the client gets it. */
  readonly data: unknown[];
  readonly bytes: number;
  readonly at: number;
}

/**
 * The events of one namespace in the order they were sent, oldest dropped first (by age, count or
 * bytes). Sequence numbers are contiguous, so finding an offset is arithmetic, not a search.
 */
class PacketLog {
  private entries: LoggedPacket[] = [];
  private head = 0;
  private bytes = 0;
  private nextSeq = 0;
  /** Offsets of another log (an earlier adapter, another process) never match this one's. */
  private readonly prefix = `${Math.random().toString(36).slice(2, 8)}.`;

  constructor(private readonly limits: Readonly<ConnectionStateRecoveryOptions>) {}

  /** The offset the next appended event gets. */
  peekOffset(): Offset {
    return this.prefix + this.nextSeq.toString(36);
  }

  append(rooms: ReadonlySet<Room>, except: ReadonlySet<Room> | undefined, data: unknown[], bytes: number, now: number): void {
    this.entries.push({ seq: this.nextSeq++, rooms, except, data, bytes, at: now });
    this.bytes += bytes;
    this.prune(now);
  }

  /** Drops what is too old, then the oldest while over a cap. */
  prune(now: number): void {
    const { maxDisconnectionDuration, maxPackets, maxPacketBytes } = this.limits;
    const threshold = now - maxDisconnectionDuration;
    let head = this.head;
    const entries = this.entries;
    while (head < entries.length) {
      const oldest = entries[head]!;
      const count = entries.length - head;
      if (oldest.at >= threshold && count <= maxPackets && this.bytes <= maxPacketBytes) break;
      this.bytes -= oldest.bytes;
      head++;
    }
    // Dropped entries are released in chunks, not one shift at a time.
    if (head > 1024 && head * 2 > entries.length) {
      this.entries = entries.slice(head);
      head = 0;
    }
    this.head = head;
  }

  /** Where the event of this offset is, or undefined when it is not (or no longer) kept. */
  private indexOf(offset: Offset): number | undefined {
    if (!offset.startsWith(this.prefix)) return undefined;
    const digits = offset.slice(this.prefix.length);
    const seq = Number.parseInt(digits, 36);
    if (!Number.isSafeInteger(seq) || seq.toString(36) !== digits) return undefined;
    const first = this.entries[this.head];
    if (first === undefined || seq < first.seq) return undefined;
    const index = this.head + (seq - first.seq);
    return index < this.entries.length ? index : undefined;
  }

  /**
   * The events after `offset` that a socket in `rooms` was sent (socket.io's filter: a broadcast to
   * everyone or to one of its rooms, and none of its rooms excepted); undefined when the offset's
   * event is no longer kept, since what came between may be gone too.
   */
  missedSince(offset: Offset, rooms: readonly Room[]): unknown[][] | undefined {
    const index = this.indexOf(offset);
    if (index === undefined) return undefined;
    const missed: unknown[][] = [];
    for (let i = index + 1; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const included = entry.rooms.size === 0 || rooms.some((room) => entry.rooms.has(room));
      const except = entry.except;
      if (included && (except === undefined || except.size === 0 || rooms.every((room) => !except.has(room)))) {
        missed.push(entry.data);
      }
    }
    return missed;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }
}

/** One kept session as the server-wide ledger sees it. */
interface LedgerEntry {
  readonly address: string | undefined;
  /** Makes its adapter forget the session (the entry is already out of the ledger). */
  readonly evict: () => void;
}

/**
 * The sessions kept by every namespace of one server, oldest first, for the server-wide caps
 * (maxSessions, maxSessionsPerAddress): a namespace's adapter admits each session it keeps and
 * releases it when it forgets it; over a cap, the ledger evicts the oldest, whichever namespace
 * keeps it.
 */
class SessionLedger {
  private readonly entries = new Map<object, LedgerEntry>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: Readonly<ConnectionStateRecoveryOptions>) {}

  /** Records a kept session, evicting what the caps require first; returns its token for release. */
  admit(address: string | undefined, evict: () => void): object {
    if (address !== undefined && (this.perAddress.get(address) ?? 0) >= this.limits.maxSessionsPerAddress) {
      for (const [token, entry] of this.entries) {
        if (entry.address === address) {
          this.evict(token, entry);
          break;
        }
      }
    }
    while (this.entries.size >= this.limits.maxSessions) {
      const [token, entry] = this.entries.entries().next().value as [object, LedgerEntry];
      this.evict(token, entry);
    }
    const token = {};
    this.entries.set(token, { address, evict });
    if (address !== undefined) this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    return token;
  }

  /** A session its adapter forgot (restored, expired, closed); nothing when already evicted. */
  release(token: object): void {
    const entry = this.entries.get(token);
    if (entry === undefined) return;
    this.entries.delete(token);
    const address = entry.address;
    if (address === undefined) return;
    const count = (this.perAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, count);
  }

  private evict(token: object, entry: LedgerEntry): void {
    this.release(token);
    entry.evict();
  }
}

/**
 * One ledger per server: every namespace of a server is given the same resolved options object,
 * so it is the key (a server is not an adapter's to know).
 */
const ledgers = new WeakMap<object, SessionLedger>();

function ledgerFor(limits: Readonly<ConnectionStateRecoveryOptions>): SessionLedger {
  let ledger = ledgers.get(limits);
  if (ledger === undefined) {
    ledger = new SessionLedger(limits);
    ledgers.set(limits, ledger);
  }
  return ledger;
}

interface KeptSession {
  readonly session: SessionToPersist;
  readonly at: number;
  readonly token: object;
}

/**
 * The in-memory adapter with connection state recovery (socket.io-adapter's SessionAwareAdapter):
 * every event that can be missed (not volatile, no ack) gets an offset as its last argument and is
 * kept; a socket that drops leaves its session; `restoreSession` gives both back. The default adapter
 * when `connectionStateRecovery` is set. Everything it keeps is bounded by age and by the caps of
 * ConnectionStateRecoveryOptions; nothing is swept by a timer, old entries go as new ones come.
 */
export class SessionAwareAdapter extends InMemoryAdapter {
  private readonly limits: Readonly<ConnectionStateRecoveryOptions>;
  private readonly log: PacketLog;
  /** By pid, oldest first (a Map keeps insertion order). */
  private readonly sessions = new Map<PrivateSessionId, KeptSession>();
  private readonly ledger: SessionLedger;

  constructor(host: AdapterHost) {
    super(host);
    // Used without the server option, the adapter has the defaults and a ledger of its own.
    this.limits = host.recovery || { ...RECOVERY_DEFAULTS };
    this.log = new PacketLog(this.limits);
    this.ledger = ledgerFor(this.limits);
  }

  override broadcast(packet: Packet, options: BroadcastOptions): void {
    // As socket.io: an event with an ack is not kept (its callback cannot come back), nor a volatile one.
    if (packet.type !== 'event' || packet.id !== undefined || options.flags?.volatile) {
      super.broadcast(packet, options);
      return;
    }
    const offset = this.log.peekOffset();
    const data = [...packet.data, offset];
    // Encoded once with its offset, for every recipient; a payload that cannot be encoded throws here,
    // before anything is kept or sent.
    const encoded = new EncodedPacket({ ...packet, data, offset });
    this.log.append(options.rooms, options.except, data, encoded.payloadBytes, Date.now());
    this.deliverEncoded(encoded, options);
  }

  override persistSession(session: SessionToPersist): void {
    const now = Date.now();
    this.pruneSessions(now);
    this.forget(session.pid);
    if (this.limits.maxSessions < 1 || this.limits.maxSessionsPerAddress < 1) return;
    const pid = session.pid;
    const token = this.ledger.admit(session.address, () => this.sessions.delete(pid));
    this.sessions.set(pid, { session, at: now, token });
  }

  /**
   * The session of `pid` with the events it missed since `offset`, or null when it expired, was
   * pushed out by a cap, or its missed events are no longer all kept. A session restores once.
   */
  override restoreSession(pid: PrivateSessionId, offset: Offset): Promise<Session | null> {
    const now = Date.now();
    this.pruneSessions(now);
    this.log.prune(now);
    const kept = this.sessions.get(pid);
    if (kept === undefined) return Promise.resolve(null);
    this.forget(pid);
    const missedPackets = this.log.missedSince(offset, kept.session.rooms);
    if (missedPackets === undefined) return Promise.resolve(null);
    return Promise.resolve({ ...kept.session, missedPackets });
  }

  override close(): void {
    for (const kept of this.sessions.values()) this.ledger.release(kept.token);
    this.sessions.clear();
    this.log.clear();
  }

  private pruneSessions(now: number): void {
    const threshold = now - this.limits.maxDisconnectionDuration;
    for (const [pid, kept] of this.sessions) {
      if (kept.at >= threshold) break;
      this.forget(pid);
    }
  }

  private forget(pid: PrivateSessionId): void {
    const kept = this.sessions.get(pid);
    if (kept === undefined) return;
    this.sessions.delete(pid);
    this.ledger.release(kept.token);
  }
}
