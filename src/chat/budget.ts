/**
 * The request budget: a token bucket every chat request draws on by its cost. It holds at most
 * `capacity` units and refills continuously at `capacity` per `windowMs`, so a client may spend a
 * window's worth at once and then as fast as it refills. State is two numbers: memory is constant
 * whatever the traffic.
 */

/** What each request costs, in units. A message costs 1; the defaults allow 100 per 10 s. */
export const REQUEST_COSTS = Object.freeze({
  message: 1,
  /** A join, before the rows of the history page its ack carries (charged as `historyRow` each). */
  join: 2,
  leave: 1,
  typing: 0.2,
  /** A history request (or replay on reconnect), before its rows. */
  history: 1,
  /** Each row a history page or a replay returns. */
  historyRow: 0.1,
  /** An event the service does not know. */
  unknown: 1,
});

export interface BudgetOptions {
  /** Units the bucket holds, and refills per window. */
  readonly capacity: number;
  /** How long a full refill takes. @default 10000 */
  readonly windowMs?: number;
  /** Clock in milliseconds; default `performance.now` (monotonic). */
  readonly now?: () => number;
}

export class Budget {
  readonly capacity: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private level: number;
  private updated: number;

  /** @throws RangeError for a capacity or window that is not a positive finite number. */
  constructor(options: BudgetOptions) {
    const windowMs = options.windowMs ?? 10_000;
    if (!(options.capacity > 0) || !Number.isFinite(options.capacity)) {
      throw new RangeError(`budget capacity must be a positive number, got ${options.capacity}`);
    }
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new RangeError(`budget window must be a positive number of milliseconds, got ${windowMs}`);
    }
    this.capacity = options.capacity;
    this.windowMs = windowMs;
    this.now = options.now ?? (() => performance.now());
    this.level = options.capacity;
    this.updated = this.now();
  }

  /** Units available now. */
  available(): number {
    const now = this.now();
    // A clock that steps backwards refills nothing.
    if (now > this.updated) {
      this.level = Math.min(this.capacity, this.level + ((now - this.updated) * this.capacity) / this.windowMs);
      this.updated = now;
    }
    return this.level;
  }

  /** Milliseconds until `cost` units are available (0 when they are now). */
  retryAfterMs(cost: number): number {
    const missing = Math.min(cost, this.capacity) - this.available();
    return missing <= 0 ? 0 : Math.ceil((missing * this.windowMs) / this.capacity);
  }

  /** Takes `cost` units; the caller checked they are available (see `retryAfterMs`). */
  spend(cost: number): void {
    this.available();
    this.level = Math.max(0, this.level - cost);
  }

  /** Gives back units reserved but not used (a history page shorter than its limit). */
  refund(units: number): void {
    this.level = Math.min(this.capacity, this.available() + units);
  }

  /** True when the bucket is full again: nothing spent is still remembered. */
  isFull(): boolean {
    return this.available() >= this.capacity;
  }
}
