/**
 * What the chat keeps per client address: how many connections it has (capped), the request budget
 * its connections share, and the budgets a closed connection left behind, which the address's next
 * connection takes over, so reconnecting does not reset a spent budget.
 *
 * Connections are counted from admission (the Engine.IO or plain WebSocket handshake) on: an
 * admitted handshake holds a place until its socket connects to the chat, or until the connect
 * deadline has passed (the socket layer closes a session that connected to no namespace by then).
 * So sessions that never send CONNECT count too.
 *
 * Bounded: a record exists while its address has connections or admissions, or spent budget not yet
 * refilled; a sweep every window drops the others. IPv6 addresses count by their /64 prefix (one
 * subscriber's network), so a client cannot escape its limits by walking its own prefix.
 */
import { Budget } from './budget.js';
import { RateLimiter } from './rate-limit.js';
import type { SharedConnections } from './shared-connections.js';

/** The budgets of one connection, handed on to the next connection of its address. */
export interface ConnectionBudgets {
  readonly budget: Budget;
  /** The message rate limit (`--rate-limit`). */
  readonly messages: RateLimiter;
  /** Typing notices have a limit of their own, so they cannot crowd out messages. */
  readonly typing: RateLimiter;
}

export interface AddressBookOptions {
  /** Open connections (and admitted handshakes) allowed per address. */
  readonly maxConnections: number;
  /** Units of one connection's budget per `windowMs`. */
  readonly connectionBudget: number;
  /** Units of the budget an address's connections share, per `windowMs`. */
  readonly addressBudget: number;
  /** Messages per connection per `messageWindowMs`. */
  readonly messageLimit: number;
  readonly messageWindowMs: number;
  /** How long an admitted handshake holds its place without connecting (the connect deadline). */
  readonly admissionMs: number;
  /** The budgets' refill window. @default 10000 */
  readonly windowMs?: number;
  readonly now?: () => number;
  /**
   * The connection counts of every node (`--redis`): the cap then applies to the address's
   * connections on all nodes, as far as Redis last said (shared-connections.ts).
   */
  readonly shared?: SharedConnections;
}

/** Typing notices per connection: a client sends one every couple of seconds while typing. */
const TYPING_LIMIT = { limit: 10, windowMs: 10_000 };

interface AddressRecord {
  connections: number;
  /** When each admitted, not yet connected handshake was admitted, oldest first. */
  readonly admitted: number[];
  readonly shared: Budget;
  /** The most spent budgets a closed connection left, for the next connection. */
  released: ConnectionBudgets | undefined;
}

/** The key an address counts under: IPv4 as is, IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const missing = address.includes('::') ? 8 - left.length - right.length : 0;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class AddressBook {
  private readonly records = new Map<string, AddressRecord>();
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: AddressBookOptions) {
    this.now = options.now ?? (() => performance.now());
    this.windowMs = options.windowMs ?? 10_000;
    this.sweeper = setInterval(() => this.sweep(), this.windowMs);
    this.sweeper.unref();
  }

  /** Addresses with a record (for tests and monitoring). */
  get size(): number {
    return this.records.size;
  }

  /**
   * A handshake from `address`: holds a place and returns undefined, or returns why it is refused
   * (the address has its maximum of connections).
   */
  admit(address: string): string | undefined {
    const key = addressKey(address);
    const record = this.record(address);
    this.expireAdmissions(record);
    const max = this.options.maxConnections;
    const shared = this.options.shared;
    const elsewhere = shared?.others(key) ?? 0;
    if (record.connections + record.admitted.length + elsewhere >= max) {
      // What this node knows of the other nodes may be stale: the next handshake gets a fresh view.
      if (elsewhere > 0) shared?.refresh(key);
      const where = shared === undefined ? '' : ' over all nodes';
      return `too many connections from your address: at most ${max}${where} (close one, or raise --max-connections)`;
    }
    record.admitted.push(this.now());
    this.publish(key, record);
    return undefined;
  }

  /** A connection from `address` opened (its first socket connected): it takes its admission's place. */
  opened(address: string): void {
    const record = this.record(address);
    record.admitted.shift();
    record.connections++;
    this.publish(addressKey(address), record);
  }

  /** A connection from `address` closed. */
  closed(address: string): void {
    const key = addressKey(address);
    const record = this.records.get(key);
    if (record === undefined) return;
    record.connections = Math.max(0, record.connections - 1);
    this.publish(key, record);
  }

  /** The budgets for a new socket from `address`: those a closed one left, or fresh ones. */
  takeBudgets(address: string): ConnectionBudgets {
    const record = this.record(address);
    const inherited = record.released;
    record.released = undefined;
    return inherited ?? this.freshBudgets();
  }

  /** A socket from `address` is gone, leaving `budgets` for the address's next one. */
  release(address: string, budgets: ConnectionBudgets): void {
    const record = this.records.get(addressKey(address));
    if (record === undefined) return;
    const kept = record.released;
    if (kept === undefined || budgets.budget.available() < kept.budget.available()) record.released = budgets;
  }

  /** The budget every connection of `address` draws on too. */
  shared(address: string): Budget {
    return this.record(address).shared;
  }

  /** Stops the sweep (the service is detached) and takes this node's counts out of Redis. */
  stop(): void {
    clearInterval(this.sweeper);
    this.options.shared?.stop();
  }

  /** Drops the records that remember nothing: no connection, no admission, every budget full. */
  sweep(): void {
    for (const [key, record] of this.records) {
      const before = record.admitted.length;
      this.expireAdmissions(record);
      if (record.admitted.length !== before) this.publish(key, record);
      if (record.connections > 0 || record.admitted.length > 0 || !record.shared.isFull()) continue;
      const released = record.released;
      if (released !== undefined && !(released.budget.isFull() && released.messages.retryAfterMs() === 0)) continue;
      this.records.delete(key);
    }
  }

  private record(address: string): AddressRecord {
    const key = addressKey(address);
    let record = this.records.get(key);
    if (record === undefined) {
      record = {
        connections: 0,
        admitted: [],
        shared: new Budget({ capacity: this.options.addressBudget, windowMs: this.windowMs, now: this.now }),
        released: undefined,
      };
      this.records.set(key, record);
    }
    return record;
  }

  /** Tells the other nodes (through Redis) how many places `key` holds here now. */
  private publish(key: string, record: AddressRecord): void {
    this.options.shared?.set(key, record.connections + record.admitted.length);
  }

  private expireAdmissions(record: AddressRecord): void {
    const oldest = this.now() - this.options.admissionMs;
    while (record.admitted.length > 0 && record.admitted[0]! < oldest) record.admitted.shift();
  }

  private freshBudgets(): ConnectionBudgets {
    const now = this.now;
    return {
      budget: new Budget({ capacity: this.options.connectionBudget, windowMs: this.windowMs, now }),
      messages: new RateLimiter({ limit: this.options.messageLimit, windowMs: this.options.messageWindowMs, now }),
      typing: new RateLimiter({ ...TYPING_LIMIT, now }),
    };
  }
}
