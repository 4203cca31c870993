/**
 * Where the per-address limits shared by several nodes live: Redis (`--redis`), or the primary
 * process of `--workers` (in memory, reached over the cluster's IPC channel, src/cli/workers.ts).
 * The shared budget (shared-budget.ts) and the shared connection cap (shared-connections.ts)
 * decide from what this store last answered and never wait for it; the store only does the
 * arithmetic, in one place, atomically.
 */

import type { createClient } from 'redis';

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

/**
 * KEYS[1]: the address's bucket. ARGV: capacity, refill per ms, units to take (negative: give
 * back). Returns the tokens left, as a string (Lua numbers become integers on the way back).
 */
const SPEND_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local units = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or capacity
local at = tonumber(saved[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate) - units
if tokens > capacity then tokens = capacity end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return tostring(tokens)
`;

/**
 * KEYS[1]: the address's hash (field per node: "count:expiresAtMs"). ARGV: node id, this node's
 * count (0 removes its field), ttl in ms. Returns the live total over every node, this one included.
 */
const UPDATE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local node = ARGV[1]
local count = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
if count > 0 then
  redis.call('HSET', KEYS[1], node, count .. ':' .. (now + ttl))
else
  redis.call('HDEL', KEYS[1], node)
end
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local value = fields[i + 1]
  local sep = string.find(value, ':', 1, true)
  local n = tonumber(string.sub(value, 1, sep - 1)) or 0
  local expires = tonumber(string.sub(value, sep + 1)) or 0
  if expires < now then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    total = total + n
  end
end
if total > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return total
`;

/** The store in Redis: each operation one Lua script, atomic across every node, on Redis's clock. */
export class RedisLimitsStore implements SharedLimitsStore {
  constructor(private readonly redis: ReturnType<typeof createClient>) {}

  async spend(key: string, capacity: number, ratePerMs: number, units: number): Promise<number> {
    const left = await this.redis.eval(SPEND_SCRIPT, {
      keys: [key],
      arguments: [String(capacity), String(ratePerMs), String(units)],
    });
    return Number(left);
  }

  async setCount(key: string, node: string, count: number, ttlMs: number): Promise<number> {
    const total = await this.redis.eval(UPDATE_SCRIPT, { keys: [key], arguments: [node, String(count), String(ttlMs)] });
    return Number(total);
  }
}

/**
 * A channel to every other node, for news that must not wait to be asked for (an address that
 * reached the connection cap). Redis pub/sub, or the primary of `--workers` relaying.
 */
export interface Announcer {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** Announcements on Redis pub/sub: `redis` publishes, `subscriber` (in subscriber mode) listens. */
export function redisAnnouncer(
  redis: ReturnType<typeof createClient>,
  subscriber: ReturnType<typeof createClient>,
): Announcer {
  return {
    publish: (channel, message) => redis.publish(channel, message),
    subscribe: (channel, listener) => subscriber.subscribe(channel, listener),
    unsubscribe: (channel, listener) => subscriber.unsubscribe(channel, listener),
  };
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
