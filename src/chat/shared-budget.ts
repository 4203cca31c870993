/**
 * The per-address request budget shared by every node (`--redis`): one token bucket per client
 * address in Redis, updated by a Lua script, so the same address spread over several nodes gets
 * `addressBudget` units per 10 s in all, not per node. The workers of `--workers` without Redis
 * share it the same way through their primary (shared-store.ts); "Redis" below means either.
 *
 * The request path stays synchronous: a node decides from what Redis last told it about the
 * address (its remaining tokens, refilled since, minus what this node sent and has not heard
 * back about), and sends every spend and refund to Redis without waiting. The bucket may go
 * below zero, so what slipped through in the meantime is paid back before the address gets more.
 * The error is bounded by one round trip to Redis: requests a node admits for an address before
 * its first answer about it (or while it waits for the answer), at most.
 *
 * While Redis is unreachable each node falls back to its own per-address budget (which it keeps
 * checking anyway); the failures are reported once per outage.
 */
import type { SharedLimitsStore } from './shared-store.js';

/** Redis keys of the shared budgets start with this, after the chat's key. */
const KEY_PART = 'budget';

/** Addresses known before the refilled ones are swept out (the map stays bounded by active ones). */
const SWEEP_AT = 10_000;

/** What this node knows of one address's shared bucket. */
interface Known {
  /** Tokens Redis reported, at `at` (this node's clock). */
  tokens: number;
  at: number;
  /** Units sent to Redis and not answered yet. */
  pending: number;
}

/** Options of the shared budget. */
export interface SharedBudgetOptions {
  /** Where the buckets are kept: Redis (`--redis`), or the primary of `--workers`. */
  readonly store: SharedLimitsStore;
  /** The chat's Redis key: nodes of one chat share it. */
  readonly key: string;
  /** Units per address per `windowMs`. */
  readonly capacity: number;
  /** @default 10000 */
  readonly windowMs?: number;
  /** Told once per outage that Redis could not be reached. */
  readonly report?: (message: string) => void;
}

/** The cluster-wide per-address budget; see the file comment. */
export class SharedBudget {
  readonly capacity: number;
  private readonly rate: number;
  private readonly known = new Map<string, Known>();
  private failing = false;

  constructor(private readonly options: SharedBudgetOptions) {
    this.capacity = options.capacity;
    this.rate = options.capacity / (options.windowMs ?? 10_000);
  }

  /** Units the address may still spend over all nodes, as far as this node knows. */
  available(address: string, now = Date.now()): number {
    const known = this.known.get(address);
    if (known === undefined) return this.capacity;
    return Math.min(this.capacity, known.tokens + (now - known.at) * this.rate) - known.pending;
  }

  /** 0 when `cost` can be paid now, else how long until it could. */
  retryAfterMs(address: string, cost: number): number {
    const missing = Math.min(cost, this.capacity) - this.available(address);
    return missing <= 1e-9 ? 0 : missing / this.rate;
  }

  /** Takes `units` (negative: gives them back), here at once and in Redis soon. */
  spend(address: string, units: number): void {
    if (units === 0) return;
    const now = Date.now();
    if (this.known.size >= SWEEP_AT) this.sweep(now);
    let known = this.known.get(address);
    if (known === undefined) {
      known = { tokens: this.capacity, at: now, pending: 0 };
      this.known.set(address, known);
    }
    known.pending += units;
    const entry = known;
    this.options.store
      .spend(`${this.options.key}:${KEY_PART}:${address}`, this.capacity, this.rate, units)
      .then(
        (left) => {
          entry.pending -= units;
          entry.tokens = left;
          entry.at = Date.now();
          this.failing = false;
          this.forgetFull(address, entry);
        },
        (err: unknown) => {
          entry.pending -= units;
          if (!this.failing) {
            this.failing = true;
            this.options.report?.(
              `shared budget not updated (${err instanceof Error ? err.message : String(err)}): each node counts alone until it is back`,
            );
          }
          this.forgetFull(address, entry);
        },
      );
  }

  private sweep(now: number): void {
    for (const [address, known] of this.known) {
      if (known.pending === 0 && this.available(address, now) >= this.capacity) this.known.delete(address);
    }
  }

  /** Drops what is known of an address once nothing is pending: a missing entry reads as full. */
  private forgetFull(address: string, entry: Known): void {
    if (entry.pending === 0 && this.known.get(address) === entry && this.available(address) >= this.capacity) {
      this.known.delete(address);
    }
  }
}
