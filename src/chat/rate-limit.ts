// Per-connection message rate limit: an exact sliding window.
//
// The limiter keeps the times of the last `limit` accepted messages in a fixed ring buffer
// (memory bounded by `limit` per connection, constant whatever the traffic). A message is
// accepted when fewer than `limit` messages were accepted in the last `windowMs` milliseconds,
// i.e. when the oldest of the last `limit` accepted messages is at least `windowMs` old.
// Refused attempts are not recorded, so a client that keeps hammering recovers as soon as the
// window allows rather than being locked out forever.

import { type ChatFailure, rateLimited } from './errors.js';

export interface RateLimitOptions {
  /** Messages accepted per window. Positive integer; default 20. */
  readonly limit?: number;
  /** Window length in milliseconds. Positive; default 10 000. */
  readonly windowMs?: number;
  /** Clock in milliseconds; default `performance.now` (monotonic). Injectable for tests. */
  readonly now?: () => number;
}

export const DEFAULT_RATE_LIMIT = Object.freeze({ limit: 20, windowMs: 10_000 });

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** Acceptance times, oldest at `head` once the ring is full. */
  private readonly times: Float64Array;
  private head = 0;
  private count = 0;
  /** Latest time seen, so a clock that steps backwards cannot free slots early or break ordering. */
  private latest = Number.NEGATIVE_INFINITY;

  /** @throws RangeError when `limit` is not a positive integer or `windowMs` not a positive number. */
  constructor(options: RateLimitOptions = {}) {
    const limit = options.limit ?? DEFAULT_RATE_LIMIT.limit;
    const windowMs = options.windowMs ?? DEFAULT_RATE_LIMIT.windowMs;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
    }
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new RangeError(`rate limit window must be a positive number of milliseconds, got ${windowMs}`);
    }
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = options.now ?? (() => performance.now());
    this.times = new Float64Array(limit);
  }

  private clock(): number {
    const t = this.now();
    if (t > this.latest) this.latest = t;
    return this.latest;
  }

  /** Records one message and returns true if it is within the limit; returns false (recording nothing) if not. */
  take(): boolean {
    const now = this.clock();
    if (this.count < this.limit) {
      this.times[(this.head + this.count) % this.limit] = now;
      this.count++;
      return true;
    }
    const oldest = this.times[this.head] ?? now;
    if (now - oldest < this.windowMs) return false;
    this.times[this.head] = now;
    this.head = (this.head + 1) % this.limit;
    return true;
  }

  /**
   * `take()` as an ack-ready result: `{ ok: true }`, or a failure with code `rate_limited`
   * whose message says the limit and when to retry.
   */
  attempt(): { ok: true } | ChatFailure {
    if (this.take()) return { ok: true };
    return rateLimited(`too many messages: at most ${this.limit} per ${formatWindow(this.windowMs)}`, this.retryAfterMs());
  }

  /** Milliseconds until `take()` would succeed (0 when it would succeed now). */
  retryAfterMs(): number {
    if (this.count < this.limit) return 0;
    const oldest = this.times[this.head] ?? 0;
    return Math.max(0, oldest + this.windowMs - this.clock());
  }

  /** Messages that would be accepted right now. */
  remaining(): number {
    if (this.count < this.limit) return this.limit - this.count;
    const now = this.clock();
    let free = 0;
    for (let i = 0; i < this.limit; i++) {
      const t = this.times[(this.head + i) % this.limit] ?? now;
      if (now - t >= this.windowMs) free++;
      else break;
    }
    return free;
  }

  /** Forgets all recorded messages. */
  reset(): void {
    this.head = 0;
    this.count = 0;
  }
}

function formatWindow(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
