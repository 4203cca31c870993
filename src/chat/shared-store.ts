/**
 * Where the per-address limits shared by several nodes live: Redis (`--redis`), or the primary
 * process of `--workers` (in memory, reached over the cluster's IPC channel, src/cli/workers.ts).
 * The shared budget (shared-budget.ts) and the shared connection cap (shared-connections.ts)
 * decide from what this store last answered and never wait for it; the store only does the
 * arithmetic, in one place, atomically.
 */

/** The two atomic operations the shared limits need. */
export interface SharedLimitsStore {
  /**
   * Takes `units` (negative: gives them back) from the token bucket `key` of `capacity`, refilled
   * at `ratePerMs`; resolves with the tokens left (may be below zero: an overdraft to pay back).
   */
  spend(key: string, capacity: number, ratePerMs: number, units: number): Promise<number>;
  /**
   * Sets `node`'s count under `key` (0 removes it), live for `ttlMs` unless set again; resolves
   * with the total of the live counts of every node.
   */
  setCount(key: string, node: string, count: number, ttlMs: number): Promise<number>;
}

/** Keys swept for expired entries once the store holds this many. */
const SWEEP_AT = 10_000;

interface Bucket {
  tokens: number;
  at: number;
  /** When the bucket is full again, so may be forgotten. */
  fullAt: number;
}

/**
 * The store kept in one process's memory: the primary of `--workers` answers its workers from it.
 * Same arithmetic as the Redis scripts, on this process's clock. Bounded: buckets are forgotten
 * once full again, counts once every node's entry expired (swept as the maps grow).
 */
export class MemoryLimitsStore implements SharedLimitsStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly counts = new Map<string, Map<string, { count: number; until: number }>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Keys held (buckets and count tables), for tests and monitoring. */
  get size(): number {
    return this.buckets.size + this.counts.size;
  }

  spend(key: string, capacity: number, ratePerMs: number, units: number): Promise<number> {
    const now = this.now();
    if (this.buckets.size >= SWEEP_AT) this.sweepBuckets(now);
    const saved = this.buckets.get(key);
    const refilled = saved === undefined ? capacity : Math.min(capacity, saved.tokens + (now - saved.at) * ratePerMs);
    const tokens = Math.min(capacity, refilled - units);
    this.buckets.set(key, { tokens, at: now, fullAt: now + (capacity - tokens) / ratePerMs });
    return Promise.resolve(tokens);
  }

  setCount(key: string, node: string, count: number, ttlMs: number): Promise<number> {
    const now = this.now();
    if (this.counts.size >= SWEEP_AT) this.sweepCounts(now);
    let nodes = this.counts.get(key);
    if (nodes === undefined) {
      nodes = new Map();
      this.counts.set(key, nodes);
    }
    if (count > 0) nodes.set(node, { count, until: now + ttlMs });
    else nodes.delete(node);
    let total = 0;
    for (const [id, entry] of nodes) {
      if (entry.until < now) nodes.delete(id);
      else total += entry.count;
    }
    if (nodes.size === 0) this.counts.delete(key);
    return Promise.resolve(total);
  }

  private sweepBuckets(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.fullAt <= now) this.buckets.delete(key);
  }

  private sweepCounts(now: number): void {
    for (const [key, nodes] of this.counts) {
      for (const [id, entry] of nodes) if (entry.until < now) nodes.delete(id);
      if (nodes.size === 0) this.counts.delete(key);
    }
  }
}
