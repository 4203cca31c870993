/**
 * Where the chat's nodes take forwarded requests, kept in Redis (`--redis`: no sticky sessions,
 * README "Several nodes"). Each node writes its own `host:port` under `<key>:node:<id>` with a
 * TTL and refreshes it, so a node that died drops out on its own; a node looks another up the
 * first time one of its sessions' requests lands here, and keeps the answer for a few seconds.
 *
 * Lookups are bounded: one Redis GET per node id at a time (concurrent requests share it), at
 * most MAX_PENDING at once, an answer within LOOKUP_TIMEOUT_MS or none (node-redis queues
 * commands while it reconnects), and at most MAX_CACHED addresses kept.
 */
import { networkInterfaces } from 'node:os';
import type { createClient } from 'redis';

type RedisClient = ReturnType<typeof createClient>;

/** How long a node's entry lives in Redis unless refreshed (it is refreshed every third of it). */
const ENTRY_TTL_MS = 15_000;
/** How long a looked-up address is used before it is looked up again. */
const CACHE_MS = 5_000;
/** How long a lookup may take before the request it is for is refused (400, as an unknown sid). */
const LOOKUP_TIMEOUT_MS = 2_000;
/** Most node addresses kept; a cluster has far fewer nodes. */
const MAX_CACHED = 1_024;
/**
 * Most lookups on their way at once: sids naming made-up nodes cost one GET each, and past this
 * they are not looked up (their requests get 400 at once, as for any unknown session).
 */
const MAX_PENDING = 256;

interface Cached {
  readonly address: string;
  readonly until: number;
}

export interface NodeDirectoryOptions {
  readonly redis: RedisClient;
  /** The chat's Redis key: nodes of one chat share it. */
  readonly key: string;
  /** This node's id (the prefix of its session ids). */
  readonly nodeId: string;
  /** Where the other nodes reach this one, `host:port`. */
  readonly address: string;
  /** Told when the node's entry cannot be written (Redis down), once per outage. */
  readonly report?: (message: string) => void;
}

export class NodeDirectory {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private refresher: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly options: NodeDirectoryOptions) {}

  /** Writes this node's entry, then keeps it fresh until close(). */
  async register(): Promise<void> {
    await this.write();
    this.refresher = setInterval(() => {
      this.write().then(
        () => {
          this.failing = false;
        },
        (err: unknown) => {
          if (this.failing) return;
          this.failing = true;
          this.options.report?.(`cannot refresh this node's address in Redis: ${String(err)}`);
        },
      );
    }, ENTRY_TTL_MS / 3);
    this.refresher.unref();
  }

  /** Where node `id` listens: at once when known, else after a lookup in Redis (undefined: nowhere). */
  lookup(id: string): string | undefined | Promise<string | undefined> {
    if (id === this.options.nodeId) return this.options.address;
    const cached = this.cache.get(id);
    if (cached !== undefined && cached.until > performance.now()) return cached.address;
    const inFlight = this.pending.get(id);
    if (inFlight !== undefined) return inFlight;
    if (this.pending.size >= MAX_PENDING) return cached?.address;
    const lookup = this.fetch(id).finally(() => this.pending.delete(id));
    this.pending.set(id, lookup);
    return lookup;
  }

  /** Stops refreshing and removes this node's entry (its sessions are closing with it). */
  async close(): Promise<void> {
    clearInterval(this.refresher);
    await this.options.redis.del(this.entryKey(this.options.nodeId)).catch(() => undefined);
  }

  private async fetch(id: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS);
    });
    try {
      const found = await Promise.race([this.options.redis.get(this.entryKey(id)), timeout]);
      if (found === undefined || found === null) {
        this.cache.delete(id);
        return undefined;
      }
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(id, { address: found, until: performance.now() + CACHE_MS });
      return found;
    } catch {
      // Redis cannot answer: what was known last is still the best guess.
      return this.cache.get(id)?.address;
    } finally {
      clearTimeout(timer);
    }
  }

  private write(): Promise<unknown> {
    const { redis, nodeId, address } = this.options;
    return redis.set(this.entryKey(nodeId), address, { PX: ENTRY_TTL_MS });
  }

  private entryKey(id: string): string {
    return `${this.options.key}:node:${id}`;
  }
}

/**
 * The address other nodes should use for a node listening on `host:port`: the host itself when it
 * is one address, else (0.0.0.0, ::) this machine's first external IPv4 address, else loopback.
 */
export function defaultAdvertisedAddress(host: string, port: number): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') {
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return `${a.address}:${port}`;
    }
  }
  return `127.0.0.1:${port}`;
}
