/**
 * The per-address connection cap shared by every node (`--redis`): each node keeps, in one Redis
 * hash per client address, how many connections (and admitted handshakes) it holds for it, and
 * the sum over the nodes is what the cap (`--max-connections`) applies to. The workers of
 * `--workers` without Redis share it the same way through their primary (shared-store.ts), which
 * also relays the announcements; "Redis" below means either.
 *
 * Admission stays synchronous: a node decides from its own count plus what Redis last said about
 * the other nodes' counts of the address. Every change of its own count is sent without waiting
 * (one Lua script: set this node's field, sum the live fields), and the answer updates what the
 * node knows. So the cap holds up to what an address opens on a node within one Redis round trip
 * of that node's last answer about it; a refused handshake asks Redis again (the others may have
 * closed since), so a stale "full" costs one refusal at most.
 *
 * With `max` and an `announcer`, an address reaching the cap (or going back below it) is announced
 * on one channel to every node, so a node that never heard of the address refuses it at once
 * instead of admitting one handshake before its first answer. A node re-announces the addresses it
 * sees full with each refresh, so the others' view of them does not age out.
 *
 * A node that dies must not lock an address out: each field carries its own expiry (Redis time),
 * refreshed by its node every `ttlMs / 3`; fields past it are not counted and are dropped by the
 * next script on that hash. A node that stops cleanly removes its fields at once.
 *
 * Bounded: a hash holds one field per node with connections of that address; a node remembers an
 * address while it has connections of it, or for `ttlMs` after it last heard about it.
 *
 * While Redis is unreachable each node counts alone (what it knew of the others is dropped); the
 * failures are reported once per outage, and the periodic refresh publishes the counts again once
 * Redis is back.
 */
import { randomUUID } from 'node:crypto';
import type { Announcer, SharedLimitsStore } from './shared-store.js';

/** Redis keys of the shared connection counts start with this, after the chat's key. */
const KEY_PART = 'connections';

/** The channel, after the chat's key, announcing addresses at the cap: `{key, total, node}`. */
const FULL_CHANNEL = 'connections-full';

/** Addresses known before the forgettable ones are swept out. */
const SWEEP_AT = 10_000;

/** What this node knows of one address. */
interface Entry {
  /** This node's count now, and as Redis last counted it. */
  mine: number;
  sent: number;
  /** Whether the address was at the cap when this node last heard (an answer or an announcement). */
  full: boolean;
  /** The other nodes' count, as Redis last said (0 until it did), and when (this node's clock). */
  others: number;
  at: number;
  /** A script for this address is on its way; `again`: the count changed meanwhile. */
  inFlight: boolean;
  again: boolean;
}

/** Options of the shared connection counts. */
export interface SharedConnectionsOptions {
  /** Where the counts are kept: Redis (`--redis`), or the primary of `--workers`. */
  readonly store: SharedLimitsStore;
  /** The chat's Redis key: nodes of one chat share it. */
  readonly key: string;
  /** How long a node's count lives in Redis without a refresh. @default 15000 */
  readonly ttlMs?: number;
  /** This node's field name. @default a random UUID */
  readonly nodeId?: string;
  /** Told once per outage that Redis could not be reached. */
  readonly report?: (message: string) => void;
  /** The cap: with `announcer`, addresses reaching it are announced to every node. */
  readonly max?: number;
  /** The channel to every node (Redis pub/sub, or the primary of `--workers`). */
  readonly announcer?: Announcer;
}

/** The cluster-wide per-address connection counts; see the file comment. */
export class SharedConnections {
  readonly nodeId: string;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly refresher: NodeJS.Timeout;
  private failing = false;
  private stopped = false;

  private readonly channel: string;
  private readonly listener = (message: string) => this.announced(message);

  constructor(private readonly options: SharedConnectionsOptions) {
    this.nodeId = options.nodeId ?? randomUUID();
    this.ttlMs = options.ttlMs ?? 15_000;
    this.channel = `${options.key}:${FULL_CHANNEL}`;
    this.refresher = setInterval(() => this.refreshAll(), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.refresher.unref();
    if (this.announcing) {
      options.announcer?.subscribe(this.channel, this.listener).catch((err: unknown) => this.failed(err));
    }
  }

  /** Whether this node announces and hears the addresses at the cap. */
  private get announcing(): boolean {
    return this.options.max !== undefined && this.options.announcer !== undefined;
  }

  /** Addresses this node remembers (for tests and monitoring). */
  get size(): number {
    return this.entries.size;
  }

  /** Connections of `key` on the other nodes, as Redis last said; 0 when unknown or too old. */
  others(key: string, now = performance.now()): number {
    const entry = this.entries.get(key);
    if (entry === undefined || now - entry.at > this.ttlMs) return 0;
    return entry.others;
  }

  /** This node now holds `count` connections of `key`: sent to Redis without waiting. */
  set(key: string, count: number): void {
    if (this.stopped) return;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (count === 0) return;
      entry = this.create(key);
    } else if (entry.mine === count) {
      return;
    }
    entry.mine = count;
    this.send(key, entry);
  }

  /** Asks Redis again about `key` (a handshake was refused: the others may have closed since). */
  refresh(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && !this.stopped) this.send(key, entry);
  }

  /** Stops refreshing and removes this node's counts from Redis (a clean shutdown). */
  stop(): void {
    if (this.stopped) return;
    clearInterval(this.refresher);
    if (this.announcing) {
      this.options.announcer?.unsubscribe(this.channel, this.listener).catch(() => undefined);
    }
    for (const [key, entry] of this.entries) {
      if (entry.mine === 0) continue;
      entry.mine = 0;
      this.send(key, entry);
    }
    this.stopped = true;
  }

  private create(key: string): Entry {
    if (this.entries.size >= SWEEP_AT) this.sweep();
    const entry: Entry = {
      mine: 0,
      sent: 0,
      full: false,
      others: 0,
      at: Number.NEGATIVE_INFINITY,
      inFlight: false,
      again: false,
    };
    this.entries.set(key, entry);
    return entry;
  }

  /** Keeps this node's counts alive in Redis and refreshes what it knows of the others. */
  private refreshAll(): void {
    this.sweep();
    for (const [key, entry] of this.entries) if (entry.mine > 0) this.send(key, entry, true);
  }

  /** Another node says an address reached the cap, or went back below it. */
  private announced(message: string): void {
    let parsed: { key?: unknown; total?: unknown; node?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    const { key, total, node } = parsed;
    if (typeof key !== 'string' || typeof total !== 'number' || node === this.nodeId || this.stopped) return;
    const full = total >= (this.options.max ?? Number.POSITIVE_INFINITY);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      // Only an address at the cap is worth remembering unasked (so at most connections / max).
      if (!full) return;
      entry = this.create(key);
    }
    entry.others = Math.max(0, total - entry.sent);
    entry.at = performance.now();
    entry.full = full;
    this.forget(key, entry);
  }

  /** Tells every node that `key` is at the cap (or no longer is), as this node's answer said. */
  private announce(key: string, total: number): void {
    const message = JSON.stringify({ key, total, node: this.nodeId });
    this.options.announcer?.publish(this.channel, message).catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    if (this.failing || this.stopped) return;
    this.failing = true;
    this.options.report?.(
      `shared connection counts not updated (${err instanceof Error ? err.message : String(err)}): each node counts alone until it is back`,
    );
  }

  private send(key: string, entry: Entry, refreshing = false): void {
    if (entry.inFlight) {
      entry.again = true;
      return;
    }
    entry.inFlight = true;
    entry.again = false;
    const count = entry.mine;
    this.options.store
      .setCount(`${this.options.key}:${KEY_PART}:${key}`, this.nodeId, count, this.ttlMs)
      .then(
        (total) => {
          entry.sent = count;
          entry.others = Math.max(0, total - count);
          entry.at = performance.now();
          this.failing = false;
          if (!this.announcing) return;
          const full = total >= this.options.max!;
          if (full !== entry.full || (full && refreshing)) this.announce(key, total);
          entry.full = full;
        },
        (err: unknown) => {
          // Redis unreachable: this node counts alone until it answers again.
          entry.others = 0;
          entry.full = false;
          this.failed(err);
        },
      )
      .finally(() => {
        entry.inFlight = false;
        if (entry.again && !(this.stopped && entry.mine === count)) this.send(key, entry);
        else this.forget(key, entry);
      });
  }

  /** Drops the entries that hold nothing: no connection here, nothing pending, nothing recent. */
  private sweep(): void {
    for (const [key, entry] of this.entries) this.forget(key, entry);
  }

  private forget(key: string, entry: Entry): void {
    if (entry.mine > 0 || entry.inFlight || this.entries.get(key) !== entry) return;
    if (entry.others === 0 || performance.now() - entry.at > this.ttlMs) this.entries.delete(key);
  }
}
